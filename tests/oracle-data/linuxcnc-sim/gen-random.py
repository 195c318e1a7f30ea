# Writes random-NN.ngc motion programs for the planner comparison with LinuxCNC (programs/random-*.ngc were
# made with "cd programs && python3 ../gen-random.py 1 33", then recorded with record.sh). Each mixes rapids,
# chains of short moves in random directions, zigzags, arc chains, helices and canned cycles under a random
# path mode (G61, G61.1, G64, G64 P, G64 P Q), one in five in inches, within the oracle machine's travel.
import random, math, sys
def gen(seed):
    R=random.Random(seed)
    inch = R.random()<0.2
    u = 1/25.4 if inch else 1.0
    f = lambda v: ('%.4f' % (v*u)).rstrip('0').rstrip('.') if abs(v*u)>=1e-4 else '0'
    L=[]
    L.append('(random motion program %d: generated for the planner comparison, see README)' % seed)
    L.append(('G20' if inch else 'G21')+' G90 G17 G40 G49 G80 G94')
    mode = R.choice(['G64','G64 P%s'%f(R.choice([0.01,0.05,0.2])),'G61','G61.1','G64 P%s Q%s'%(f(0.05),f(0.01))])
    L.append(mode)
    x,y,z=0.0,0.0,20.0
    L.append('G0 X0 Y0 Z%s' % f(z))
    if R.random()<0.5: L.append('S%d M3' % R.randint(2000,9000))
    blocks=R.randint(2,4)
    for b in range(blocks):
        kind=R.choice(['poly','zig','arcs','rapids','cycle','helix','mode'])
        if kind=='mode':
            L.append(R.choice(['G64','G61','G61.1','G64 P%s'%f(R.choice([0.01,0.1,0.5]))]))
        elif kind=='rapids':
            for i in range(R.randint(2,6)):
                x,y=R.uniform(-60,60),R.uniform(-60,60); z=R.uniform(2,30)
                L.append('G0 X%s Y%s Z%s'%(f(x),f(y),f(z)))
        elif kind=='poly':
            F=R.choice([800,1500,2500,3000])
            L.append('G0 X%s Y%s'%(f(x),f(y)))
            L.append('G1 Z%s F%s'%(f(0),f(600)))
            z=0
            n=R.randint(20,80); step=R.choice([0.2,0.5,1,2,5])
            ang=R.uniform(0,6.28)
            L.append('F%s'%f(F))
            for i in range(n):
                ang+=R.gauss(0,0.3)
                x=max(-80,min(80,x+step*math.cos(ang))); y=max(-80,min(80,y+step*math.sin(ang)))
                L.append('G1 X%s Y%s'%(f(x),f(y)))
            z=5; L.append('G0 Z%s'%f(z))
        elif kind=='zig':
            F=R.choice([600,1200,2400])
            w=R.uniform(10,40); h=R.uniform(1,5); n=R.randint(3,10)
            L.append('G0 X%s Y%s'%(f(x),f(y))); L.append('G1 Z%s F%s'%(f(-1),f(F)))
            for i in range(n):
                x+= w if i%2==0 else -w
                L.append('G1 X%s'%f(x)); y+=h; L.append('G1 Y%s'%f(y))
            z=5; L.append('G0 Z%s'%f(z))
        elif kind=='arcs':
            F=R.choice([1000,2000,3000])
            L.append('G0 X%s Y%s'%(f(x),f(y)))
            L.append('G1 Z%s F%s'%(f(0),f(F)))
            for i in range(R.randint(2,6)):
                r=R.uniform(2,25); a0=R.uniform(0,6.28)
                cx,cy=x-r*math.cos(a0),y-r*math.sin(a0)
                sweep=R.uniform(0.3,3.0)*(1 if R.random()<0.5 else -1)
                ex,ey=cx+r*math.cos(a0+sweep),cy+r*math.sin(a0+sweep)
                L.append('%s X%s Y%s I%s J%s'%('G3' if sweep>0 else 'G2',f(ex),f(ey),f(cx-x),f(cy-y)))
                x,y=ex,ey
            z=5; L.append('G0 Z%s'%f(z))
        elif kind=='helix':
            r=R.uniform(3,15)
            L.append('G0 X%s Y%s Z%s'%(f(x+r),f(y),f(2))); 
            L.append('G2 X%s Y%s Z%s I%s J0 P%d F%s'%(f(x+r),f(y),f(-2),f(-r),R.randint(1,3),f(R.choice([400,900]))))
            x=x+r; z=-2
            L.append('G0 Z%s'%f(5)); z=5
        elif kind=='cycle':
            c=R.choice(['G81','G83 Q%s'%f(2),'G73 Q%s'%f(1.5),'G82 P0.2','G85'])
            L.append('G0 Z%s'%f(10)); z=10
            x,y=R.uniform(-40,40),R.uniform(-40,40)
            L.append('%s %s X%s Y%s Z%s R%s F%s'%(R.choice(['G98','G99']),c,f(x),f(y),f(-R.uniform(2,8)),f(2),f(R.choice([300,600]))))
            for i in range(R.randint(0,2)):
                x,y=R.uniform(-40,40),R.uniform(-40,40)
                L.append('X%s Y%s'%(f(x),f(y)))
            L.append('G80'); L.append('G0 Z%s'%f(10))
            pass
    L.append('G0 Z%s'%f(30))
    L.append('M2')
    return '\n'.join(L)+'\n'
for s in range(int(sys.argv[1]), int(sys.argv[2])):
    open('random-%02d.ngc'%s,'w').write(gen(s))
