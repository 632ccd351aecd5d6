public import Events
import Foundation
import GRDB
import Glibc
public import Training

/// The model store: checkpoint files written atomically (temp file, fsync, rename, fsync of the directory) and
/// verified by SHA-256 on read, and a SQLite catalog (GRDB) of every version with its lineage — parent, kind,
/// trigger, data (example count, event-time range, source offset ranges), metrics, decision and reason,
/// checkpoint path and digest. Recording is idempotent by (model, version), so a trainer that replays after a
/// crash records the same rows again harmlessly.
///
/// Thread-safe; calls block the calling thread for one SQLite transaction or one file write.
public final class ModelStore: Sendable {
    private let pool: DatabasePool
    public let path: String

    /// One catalog row.
    public struct Version: Sendable, Hashable {
        public var model: String
        public var version: String
        public var parentVersion: String?
        public var kind: ModelUpdateEvent.Kind
        public var decision: ModelUpdateEvent.Decision
        public var reason: String?
        public var trigger: String
        public var triggerDetail: String?
        public var exampleCount: Int64
        public var createdAt: EventTime
        /// The full model-update event as published (JSON).
        public var event: String
        public var checkpointPath: String?
        public var sha256: String?
    }

    public init(path: String) throws {
        self.path = path
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var config = Configuration()
        config.busyMode = .timeout(30)
        pool = try DatabasePool(path: path, configuration: config)
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-model-versions") { db in
            try db.create(table: "model_version") { t in
                t.column("model", .text).notNull()
                t.column("version", .text).notNull()
                t.column("seq", .integer).notNull()
                t.column("parent_version", .text)
                t.column("kind", .text).notNull()
                t.column("decision", .text).notNull()
                t.column("reason", .text)
                t.column("trigger", .text).notNull()
                t.column("trigger_detail", .text)
                t.column("example_count", .integer).notNull()
                t.column("created_at", .integer).notNull()
                t.column("event", .text).notNull()
                t.column("checkpoint_path", .text)
                t.column("sha256", .text)
                t.primaryKey(["model", "version"])
            }
        }
        try migrator.migrate(pool)
    }

    // MARK: Checkpoint files

    /// Writes `bytes` to `path` atomically: a temporary file in the same directory, fsync, rename over the target,
    /// fsync of the directory. A reader sees the old file or the new one, never a torn one.
    public static func writeAtomically(_ bytes: [UInt8], to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let temporary = directory + "/." + url.lastPathComponent + ".tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw ModelStoreError("cannot create \(temporary): \(String(cString: strerror(errno)))") }
        var written = 0
        let ok = bytes.withUnsafeBytes { buffer -> Bool in
            while written < buffer.count {
                let n = Glibc.write(fd, buffer.baseAddress! + written, buffer.count - written)
                if n <= 0 { return false }
                written += n
            }
            return fsync(fd) == 0
        }
        close(fd)
        guard ok else { unlink(temporary); throw ModelStoreError("cannot write \(temporary): \(String(cString: strerror(errno)))") }
        guard rename(temporary, path) == 0 else { unlink(temporary); throw ModelStoreError("cannot rename to \(path): \(String(cString: strerror(errno)))") }
        let dfd = open(directory, O_RDONLY)
        if dfd >= 0 { fsync(dfd); close(dfd) }
    }

    /// Writes a trainer's checkpoint file.
    public func write(_ file: TrainerOutput.CheckpointFile) throws {
        try Self.writeAtomically(file.bytes, to: file.path)
    }

    /// Reads and verifies a checkpoint: its SHA-256 must equal `sha256`. Errors name the file and what is wrong.
    public static func loadArtifact(path: String, sha256: String) throws -> ModelArtifact {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ModelStoreError("checkpoint \(path) is missing or unreadable")
        }
        let bytes = [UInt8](data)
        let digest = SHA256.hex(bytes)
        guard digest == sha256 else {
            throw ModelStoreError("checkpoint \(path) is corrupted: sha256 \(digest) does not match the catalog's \(sha256) (\(bytes.count) bytes)")
        }
        do { return try ModelArtifact.decode(bytes) } catch {
            throw ModelStoreError("checkpoint \(path) has the right digest but cannot be decoded: \(error)")
        }
    }

    /// Loads the checkpoint of a catalogued version.
    public func loadArtifact(model: String, version: String) throws -> ModelArtifact {
        guard let v = try self.version(model: model, version: version) else { throw ModelStoreError("no version \(version) of model \(model) in the catalog") }
        guard let path = v.checkpointPath, let sha = v.sha256 else { throw ModelStoreError("\(model) \(version) has no checkpoint") }
        return try Self.loadArtifact(path: path, sha256: sha)
    }

    // MARK: Catalog

    /// Records a model-update (idempotent by model and version).
    public func record(_ update: ModelUpdateEvent) throws {
        let path = update.checkpoint.map { $0.uri.hasPrefix("file://") ? String($0.uri.dropFirst("file://".count)) : $0.uri }
        try pool.write { db in
            let seq = try Int.fetchOne(db, sql: "SELECT seq FROM model_version WHERE model = ? AND version = ?", arguments: [update.model, update.version])
                ?? (try Int.fetchOne(db, sql: "SELECT COALESCE(MAX(seq), 0) + 1 FROM model_version WHERE model = ?", arguments: [update.model]) ?? 1)
            try db.execute(sql: """
                INSERT OR REPLACE INTO model_version (model, version, seq, parent_version, kind, decision, reason, trigger, trigger_detail,
                    example_count, created_at, event, checkpoint_path, sha256) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [update.model, update.version, seq, update.parentVersion, update.kind.rawValue, update.decision.rawValue, update.reason,
                                 update.trigger.kind, update.trigger.detail, update.data.exampleCount, update.createdAt.milliseconds, update.json,
                                 path, update.checkpoint?.sha256])
        }
    }

    private static func version(_ row: Row) -> Version {
        Version(model: row["model"], version: row["version"], parentVersion: row["parent_version"],
                kind: ModelUpdateEvent.Kind(rawValue: row["kind"]) ?? .stateful, decision: ModelUpdateEvent.Decision(rawValue: row["decision"]) ?? .rejected,
                reason: row["reason"], trigger: row["trigger"], triggerDetail: row["trigger_detail"], exampleCount: row["example_count"],
                createdAt: EventTime(milliseconds: row["created_at"]), event: row["event"], checkpointPath: row["checkpoint_path"], sha256: row["sha256"])
    }

    /// Models in the catalog, with their version count and current champion (the latest promoted version).
    public func models() throws -> [(model: String, versions: Int, champion: String?)] {
        try pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT model, COUNT(*) AS n,
                    (SELECT version FROM model_version p WHERE p.model = m.model AND p.decision = 'promoted' ORDER BY seq DESC LIMIT 1) AS champion
                FROM model_version m GROUP BY model ORDER BY model
                """).map { ($0["model"], $0["n"], $0["champion"]) }
        }
    }

    /// Every version of `model`, oldest first.
    public func versions(model: String) throws -> [Version] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM model_version WHERE model = ? ORDER BY seq", arguments: [model]).map(Self.version)
        }
    }

    public func version(model: String, version: String) throws -> Version? {
        try pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM model_version WHERE model = ? AND version = ?", arguments: [model, version]).map(Self.version)
        }
    }

    /// The current champion: the latest promoted version.
    public func champion(model: String) throws -> Version? {
        try pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM model_version WHERE model = ? AND decision = 'promoted' ORDER BY seq DESC LIMIT 1", arguments: [model]).map(Self.version)
        }
    }

    /// `version` and its ancestors by `parent_version`, newest first.
    public func lineage(model: String, version: String) throws -> [Version] {
        var out: [Version] = []
        var next: String? = version
        var seen: Set<String> = []
        while let v = next, !seen.contains(v), let row = try self.version(model: model, version: v) {
            seen.insert(v)
            out.append(row)
            next = row.parentVersion
        }
        return out
    }
}

public struct ModelStoreError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ d: String) { description = d }
}
