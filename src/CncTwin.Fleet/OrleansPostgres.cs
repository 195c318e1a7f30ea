using Npgsql;

namespace CncTwin.Fleet;

/// <summary>
/// The tables and queries Orleans' ADO.NET clustering provider reads on PostgreSQL, written for CncTwin: the
/// provider runs the queries it finds in <c>OrleansQuery</c> by key, with @-named parameters (DeploymentId, Address,
/// Port, Generation, SiloName, HostName, Status, ProxyPort, StartTime, IAmAliveTime, SuspectTimes, Version) and
/// reads the columns by name. Every change of a silo's row bumps the deployment's table version in the same
/// statement, and only when the version is the one the silo read (optimistic concurrency, as the provider expects):
/// the version update comes first and the row change is made only if it succeeded, so two silos writing at once
/// cannot both win. Created once (IF NOT EXISTS, under an advisory lock) by the first silo that starts.
/// </summary>
public static class OrleansPostgres
{
    private const string Tables = """
        CREATE TABLE IF NOT EXISTS OrleansQuery (QueryKey varchar(64) PRIMARY KEY, QueryText varchar(8000) NOT NULL);
        CREATE TABLE IF NOT EXISTS OrleansMembershipVersionTable (
            DeploymentId varchar(150) PRIMARY KEY, Timestamp timestamptz(3) NOT NULL DEFAULT now(), Version integer NOT NULL DEFAULT 0);
        CREATE TABLE IF NOT EXISTS OrleansMembershipTable (
            DeploymentId varchar(150) NOT NULL REFERENCES OrleansMembershipVersionTable (DeploymentId),
            Address varchar(45) NOT NULL, Port integer NOT NULL, Generation integer NOT NULL,
            SiloName varchar(150) NOT NULL, HostName varchar(150) NOT NULL, Status integer NOT NULL, ProxyPort integer NOT NULL DEFAULT 0,
            SuspectTimes varchar(8000) NULL, MetadataJson text NULL, StartTime timestamptz(3) NOT NULL, IAmAliveTime timestamptz(3) NOT NULL,
            PRIMARY KEY (DeploymentId, Address, Port, Generation));
        """;

    private const string Columns = "v.DeploymentId, m.Address, m.Port, m.Generation, m.SiloName, m.HostName, m.Status, m.ProxyPort, m.SuspectTimes, m.MetadataJson, m.StartTime, m.IAmAliveTime, v.Version";

    /// <summary>The provider's query keys and CncTwin's statements for them.</summary>
    public static readonly (string Key, string Sql)[] Queries =
    [
        ("UpdateIAmAlivetimeKey",
            "UPDATE OrleansMembershipTable SET IAmAliveTime = @IAmAliveTime WHERE DeploymentId = @DeploymentId AND Address = @Address AND Port = @Port AND Generation = @Generation;"),
        ("InsertMembershipVersionKey",
            "WITH ins AS (INSERT INTO OrleansMembershipVersionTable (DeploymentId) VALUES (@DeploymentId) ON CONFLICT (DeploymentId) DO NOTHING RETURNING 1) SELECT count(*)::int FROM ins;"),
        ("InsertMembershipKey",
            "WITH ver AS (UPDATE OrleansMembershipVersionTable SET Version = Version + 1, Timestamp = now() WHERE DeploymentId = @DeploymentId AND Version = @Version RETURNING 1), " +
            "ins AS (INSERT INTO OrleansMembershipTable (DeploymentId, Address, Port, Generation, SiloName, HostName, Status, ProxyPort, StartTime, IAmAliveTime) " +
            "SELECT @DeploymentId, @Address, @Port, @Generation, @SiloName, @HostName, @Status, COALESCE(@ProxyPort, 0), @StartTime, @IAmAliveTime WHERE EXISTS (SELECT 1 FROM ver) " +
            "ON CONFLICT DO NOTHING RETURNING 1) SELECT count(*)::int FROM ins;"),
        ("UpdateMembershipKey",
            "WITH ver AS (UPDATE OrleansMembershipVersionTable SET Version = Version + 1, Timestamp = now() WHERE DeploymentId = @DeploymentId AND Version = @Version RETURNING 1), " +
            "upd AS (UPDATE OrleansMembershipTable SET Status = @Status, SuspectTimes = @SuspectTimes, IAmAliveTime = @IAmAliveTime " +
            "WHERE DeploymentId = @DeploymentId AND Address = @Address AND Port = @Port AND Generation = @Generation AND EXISTS (SELECT 1 FROM ver) RETURNING 1) " +
            "SELECT count(*)::int FROM upd;"),
        ("MembershipReadRowKey",
            $"SELECT {Columns} FROM OrleansMembershipVersionTable v LEFT JOIN OrleansMembershipTable m ON m.DeploymentId = v.DeploymentId " +
            "AND m.Address = @Address AND m.Port = @Port AND m.Generation = @Generation WHERE v.DeploymentId = @DeploymentId;"),
        ("MembershipReadAllKey",
            $"SELECT {Columns} FROM OrleansMembershipVersionTable v LEFT JOIN OrleansMembershipTable m ON m.DeploymentId = v.DeploymentId WHERE v.DeploymentId = @DeploymentId;"),
        ("DeleteMembershipTableEntriesKey",
            "DELETE FROM OrleansMembershipTable WHERE DeploymentId = @DeploymentId; DELETE FROM OrleansMembershipVersionTable WHERE DeploymentId = @DeploymentId;"),
        ("GatewaysQueryKey",
            "SELECT Address, ProxyPort, Generation FROM OrleansMembershipTable WHERE DeploymentId = @DeploymentId AND Status = @Status AND ProxyPort > 0;"),
        // Dead silos' rows, once nothing has been heard of them since the cut-off (Status 6 = Dead).
        ("CleanupDefunctSiloEntriesKey",
            "DELETE FROM OrleansMembershipTable WHERE DeploymentId = @DeploymentId AND IAmAliveTime < @IAmAliveTime AND Status = 6;"),
        ("CleanupDefunctSiloEntryKey",
            "DELETE FROM OrleansMembershipTable WHERE DeploymentId = @DeploymentId AND Address = @Address AND Port = @Port AND Generation = @Generation AND Status = 6;"),
    ];

    /// <summary>Creates the clustering tables and stores the queries (again, so a newer CncTwin's win).</summary>
    public static void Ensure(string connectionString)
    {
        using var db = new NpgsqlConnection(connectionString);
        db.Open();
        using var tx = db.BeginTransaction();
        using (var c = new NpgsqlCommand("SELECT pg_advisory_xact_lock(424243); " + Tables, db, tx)) c.ExecuteNonQuery();
        foreach (var (key, sql) in Queries)
        {
            using var c = new NpgsqlCommand("INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ($1, $2) ON CONFLICT (QueryKey) DO UPDATE SET QueryText = excluded.QueryText", db, tx);
            c.Parameters.AddWithValue(key);
            c.Parameters.AddWithValue(sql);
            c.ExecuteNonQuery();
        }
        tx.Commit();
    }
}
