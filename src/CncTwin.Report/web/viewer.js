// The 3D view of CncTwin's report and dashboard: the stock (glTF binary) and the toolpath (coloured by load),
// orbit controls. Bundled with three.js into one script at build time; nothing is fetched at run time.
import * as THREE from 'three';
import { GLTFLoader } from 'three/examples/jsm/loaders/GLTFLoader.js';
import { OrbitControls } from 'three/examples/jsm/controls/OrbitControls.js';

function colourOf(t) {
  // blue (light load) -> green -> yellow -> red (heavy load)
  const c = new THREE.Color();
  c.setHSL((1 - Math.min(1, Math.max(0, t))) * 0.66, 0.9, 0.5);
  return c;
}

/**
 * Shows a stock mesh and a toolpath in a canvas.
 * options: { glb: ArrayBuffer|null, path: Float32Array (x,y,z,...), load: Float32Array|null (0..1 per point), rapid: Uint8Array|null }
 * Returns { renderer, scene, camera, setCursor(i) } — setCursor moves a marker to point i (scrubbing).
 */
export function show(canvas, options) {
  const renderer = new THREE.WebGLRenderer({ canvas, antialias: true, preserveDrawingBuffer: true });
  renderer.setPixelRatio(window.devicePixelRatio || 1);
  const w = canvas.clientWidth || 800, h = canvas.clientHeight || 500;
  renderer.setSize(w, h, false);
  const scene = new THREE.Scene();
  scene.background = new THREE.Color(0xf4f5f7);
  // Machine coordinates are Z-up.
  THREE.Object3D.DEFAULT_UP.set(0, 0, 1);
  const camera = new THREE.PerspectiveCamera(40, w / h, 0.1, 100000);
  camera.up.set(0, 0, 1);
  scene.add(new THREE.HemisphereLight(0xffffff, 0x8899aa, 1.2));
  const sun = new THREE.DirectionalLight(0xffffff, 1.5);
  sun.position.set(1, -2, 3);
  scene.add(sun);
  const box = new THREE.Box3();
  const group = new THREE.Group();
  scene.add(group);
  let marker = null;
  const pts = options.path || new Float32Array(0);
  if (pts.length >= 6) {
    const geo = new THREE.BufferGeometry();
    geo.setAttribute('position', new THREE.BufferAttribute(pts, 3));
    const n = pts.length / 3, col = new Float32Array(n * 3);
    for (let i = 0; i < n; i++) {
      const c = options.rapid && options.rapid[i] ? new THREE.Color(0x999999) : colourOf(options.load ? options.load[i] : 0);
      col[3 * i] = c.r; col[3 * i + 1] = c.g; col[3 * i + 2] = c.b;
    }
    geo.setAttribute('color', new THREE.BufferAttribute(col, 3));
    group.add(new THREE.Line(geo, new THREE.LineBasicMaterial({ vertexColors: true })));
    geo.computeBoundingBox();
    box.union(geo.boundingBox);
    marker = new THREE.Mesh(new THREE.SphereGeometry(1, 16, 12), new THREE.MeshBasicMaterial({ color: 0xd62728 }));
    marker.position.set(pts[0], pts[1], pts[2]);
    group.add(marker);
  }
  const controls = new OrbitControls(camera, renderer.domElement);
  function frame() {
    if (box.isEmpty()) box.set(new THREE.Vector3(-50, -50, -50), new THREE.Vector3(50, 50, 50));
    const size = box.getSize(new THREE.Vector3()), centre = box.getCenter(new THREE.Vector3());
    const r = Math.max(size.x, size.y, size.z) || 100;
    camera.position.set(centre.x + r * 0.9, centre.y - r * 1.4, centre.z + r * 1.1);
    controls.target.copy(centre);
    camera.near = r / 1000; camera.far = r * 100; camera.updateProjectionMatrix();
    if (marker) marker.scale.setScalar(r / 150);
    controls.update();
  }
  function render() { renderer.render(scene, camera); }
  controls.addEventListener('change', render);
  frame();
  render();
  const result = {
    renderer, scene, camera, ready: Promise.resolve(),
    setCursor(i) {
      if (!marker || pts.length < 3) return;
      const k = Math.max(0, Math.min(pts.length / 3 - 1, i | 0));
      marker.position.set(pts[3 * k], pts[3 * k + 1], pts[3 * k + 2]);
      render();
    },
  };
  if (options.glb) {
    result.ready = new Promise((resolve) => {
      new GLTFLoader().parse(options.glb, '', (gltf) => {
        gltf.scene.traverse((o) => {
          if (o.isMesh) o.material = new THREE.MeshStandardMaterial({ color: 0xb8c4d0, metalness: 0.3, roughness: 0.6, side: THREE.DoubleSide });
        });
        group.add(gltf.scene);
        box.union(new THREE.Box3().setFromObject(gltf.scene));
        frame();
        render();
        resolve();
      }, (err) => { console.error(err); resolve(); });
    });
  }
  return result;
}

export function base64ToBytes(b64) {
  const bin = atob(b64), out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
