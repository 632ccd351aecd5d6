public import Foundation
import GRDB

/// Checkpoints of stage state in SQLite (through GRDB): for each stage and partition, the operator's
/// snapshot together with the input offsets it reflects, written in one transaction, plus the punctuations
/// (idle-partition clock advances) recorded since, so a recovery replays them at the same input positions.
///
/// Several processes may share one database file (WAL mode; writers wait up to `busyTimeout`), which is how
/// a partition's state moves to another instance of the same consumer group on the same host or volume.
/// Durable against a process crash (`kill -9`): a committed transaction is in the WAL. `synchronous=FULL`
/// (the `durableAgainstPowerLoss` option) also survives power loss at the cost of an fsync per checkpoint.
///
/// ## Snapshot files
/// A snapshot of `snapshotFileThreshold` bytes or more is written to its own file in `snapshotDirectory` (beside
/// the database) before the transaction that refers to it: SQLite would write it twice (its log, then the
/// database) in 4 KiB pages, about 5× the time of one file write for a 234 MB snapshot. The transaction stays the
/// commit point: a file no committed row names is not part of any checkpoint. A replaced file is deleted after
/// the transaction that replaced it; a crash between a file's write and its transaction leaves an unreferenced
/// file, removed when a store is opened once it is an hour old (younger ones may be another instance's save in
/// progress). With `durableAgainstPowerLoss` the file is synced before the transaction.
///
/// Thread-safe; calls block the calling thread for the duration of one SQLite transaction.
public final class CheckpointStore: Sendable {
    private let pool: DatabasePool
    public let path: String
    /// Where snapshots of `snapshotFileThreshold` bytes or more are kept: `path` + `.snapshots`.
    public let snapshotDirectory: String
    /// Snapshots at least this long (bytes) are files; shorter ones are stored in the database.
    public let snapshotFileThreshold: Int
    private let durableAgainstPowerLoss: Bool

    /// The state of one partition as of a checkpoint.
    public struct Checkpoint: Sendable, Equatable {
        /// The operator snapshot.
        public var state: [UInt8]
        /// Next offset to read per input stream (the snapshot reflects everything before it).
        public var offsets: [String: Int64]
        public init(state: [UInt8], offsets: [String: Int64]) {
            self.state = state
            self.offsets = offsets
        }
    }

    /// A clock advance applied to `stream` once every record before `position` was processed.
    public struct Punctuation: Sendable, Equatable {
        public var stream: String
        public var position: Int64
        public var time: Int64
        /// Its number in the database, increasing in the order punctuations were recorded (0 until recorded).
        public internal(set) var id: Int64 = 0
        public init(stream: String, position: Int64, time: Int64) {
            self.stream = stream
            self.position = position
            self.time = time
        }
    }

    public init(path: String, busyTimeout: TimeInterval = 30, durableAgainstPowerLoss: Bool = false,
                snapshotFileThreshold: Int = 64 << 10) throws {
        self.path = path
        self.snapshotDirectory = path + ".snapshots"
        self.snapshotFileThreshold = snapshotFileThreshold
        self.durableAgainstPowerLoss = durableAgainstPowerLoss
        var config = Configuration()
        config.busyMode = .timeout(busyTimeout)
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = \(durableAgainstPowerLoss ? "FULL" : "NORMAL")")
        }
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        pool = try DatabasePool(path: path, configuration: config)
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-checkpoints") { db in
            try db.create(table: "checkpoint") { t in
                t.column("stage", .text).notNull()
                t.column("partition", .integer).notNull()
                t.column("state", .blob).notNull()
                t.column("saved_at", .datetime).notNull()
                t.primaryKey(["stage", "partition"])
            }
            try db.create(table: "checkpoint_offset") { t in
                t.column("stage", .text).notNull()
                t.column("partition", .integer).notNull()
                t.column("stream", .text).notNull()
                t.column("next_offset", .integer).notNull()
                t.primaryKey(["stage", "partition", "stream"])
            }
            try db.create(table: "punctuation") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("stage", .text).notNull()
                t.column("partition", .integer).notNull()
                t.column("stream", .text).notNull()
                t.column("position", .integer).notNull()
                t.column("time", .integer).notNull()
            }
            try db.create(index: "punctuation_by_partition", on: "punctuation", columns: ["stage", "partition"])
        }
        migrator.registerMigration("v2-snapshot-files") { db in
            try db.alter(table: "checkpoint") { t in t.add(column: "file", .text) }
        }
        try migrator.migrate(pool)
        try FileManager.default.createDirectory(atPath: snapshotDirectory, withIntermediateDirectories: true)
        try removeUnreferencedSnapshotFiles(olderThan: 3_600)
    }

    /// Deletes snapshot files no checkpoint names that were last modified more than `age` seconds ago.
    func removeUnreferencedSnapshotFiles(olderThan age: TimeInterval) throws {
        let referenced = Set(try pool.read { db in try String.fetchAll(db, sql: "SELECT file FROM checkpoint WHERE file IS NOT NULL") })
        let fm = FileManager.default
        for name in try fm.contentsOfDirectory(atPath: snapshotDirectory) where !referenced.contains(name) {
            let file = snapshotDirectory + "/" + name
            guard let modified = try? fm.attributesOfItem(atPath: file)[.modificationDate] as? Date,
                  Date().timeIntervalSince(modified) > age else { continue }
            try? fm.removeItem(atPath: file)
        }
    }

    /// The last checkpoint of a partition, if any.
    public func load(stage: String, partition: Int32) throws -> Checkpoint? {
        try pool.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT state, file FROM checkpoint WHERE stage = ? AND partition = ?",
                                             arguments: [stage, Int64(partition)]) else { return nil }
            let file: String? = row["file"]
            let state = try file.map { try SnapshotFile.read(snapshotDirectory + "/" + $0) } ?? [UInt8](row["state"] as Data)
            var offsets: [String: Int64] = [:]
            for r in try Row.fetchAll(db, sql: "SELECT stream, next_offset FROM checkpoint_offset WHERE stage = ? AND partition = ?",
                                      arguments: [stage, Int64(partition)]) {
                offsets[r["stream"]] = r["next_offset"]
            }
            return Checkpoint(state: state, offsets: offsets)
        }
    }

    /// Only the input offsets of a partition's last checkpoint (cheap: no snapshot is read).
    public func offsets(stage: String, partition: Int32) throws -> [String: Int64] {
        try pool.read { db in
            var offsets: [String: Int64] = [:]
            for r in try Row.fetchAll(db, sql: "SELECT stream, next_offset FROM checkpoint_offset WHERE stage = ? AND partition = ?",
                                      arguments: [stage, Int64(partition)]) {
                offsets[r["stream"]] = r["next_offset"]
            }
            return offsets
        }
    }

    /// Saves checkpoints of several partitions in one transaction and forgets the punctuations they reflect: those
    /// at or before a checkpoint's offset of their stream and numbered at most `punctuationsThrough`.
    ///
    /// A stage that saves in the background passes the last punctuation number it had recorded (or read) when it
    /// took the snapshots: a punctuation recorded after the snapshot, at the same position, is not in it and
    /// must stay.
    public func save(stage: String, _ checkpoints: [(partition: Int32, checkpoint: Checkpoint)], punctuationsThrough: Int64 = .max) throws {
        guard !checkpoints.isEmpty else { return }
        // Large snapshots go to files first; the transaction below makes them part of a checkpoint.
        var written: [Int: String] = [:]
        let replaced: [String]
        do {
            for (i, item) in checkpoints.enumerated() where item.checkpoint.state.count >= snapshotFileThreshold {
                let name = "p\(item.partition)-\(UUID().uuidString).snapshot"
                try SnapshotFile.write(item.checkpoint.state, to: snapshotDirectory + "/" + name, sync: durableAgainstPowerLoss)
                written[i] = name
            }
            replaced = try pool.write { db in
                let now = Date()
                var replaced: [String] = []
                for (i, (partition, checkpoint)) in checkpoints.enumerated() {
                    if let old = try String.fetchOne(db, sql: "SELECT file FROM checkpoint WHERE stage = ? AND partition = ?",
                                                     arguments: [stage, Int64(partition)]) {
                        replaced.append(old)
                    }
                    let file = written[i]
                    try (file == nil ? checkpoint.state : []).withUnsafeBytes { state in
                        // Bound for this statement only, so the snapshot is not copied into a `Data` first: SQLite takes
                        // its own copy.
                        let blob = state.baseAddress.map {
                            Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: $0), count: state.count, deallocator: .none)
                        } ?? Data()
                        try db.execute(sql: "INSERT OR REPLACE INTO checkpoint (stage, partition, state, saved_at, file) VALUES (?, ?, ?, ?, ?)",
                                       arguments: [stage, Int64(partition), blob, now, file])
                    }
                    for (stream, offset) in checkpoint.offsets {
                        try db.execute(sql: "INSERT OR REPLACE INTO checkpoint_offset (stage, partition, stream, next_offset) VALUES (?, ?, ?, ?)",
                                       arguments: [stage, Int64(partition), stream, offset])
                        try db.execute(sql: "DELETE FROM punctuation WHERE stage = ? AND partition = ? AND stream = ? AND position <= ? AND id <= ?",
                                       arguments: [stage, Int64(partition), stream, offset, punctuationsThrough])
                    }
                }
                return replaced
            }
        } catch {
            removeSnapshotFiles(Array(written.values))  // not part of any checkpoint
            throw error
        }
        removeSnapshotFiles(replaced)
    }

    private func removeSnapshotFiles(_ names: [String]) {
        for name in names { try? FileManager.default.removeItem(atPath: snapshotDirectory + "/" + name) }
    }

    /// Records a punctuation before it is applied (so its effects can be replayed exactly); returns its `id`.
    @discardableResult
    public func record(stage: String, partition: Int32, _ p: Punctuation) throws -> Int64 {
        try pool.write { db in
            try db.execute(sql: "INSERT INTO punctuation (stage, partition, stream, position, time) VALUES (?, ?, ?, ?, ?)",
                           arguments: [stage, Int64(partition), p.stream, p.position, p.time])
            return db.lastInsertedRowID
        }
    }

    /// Punctuations recorded after the partition's last checkpoint, in the order they were applied.
    public func punctuations(stage: String, partition: Int32) throws -> [Punctuation] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT id, stream, position, time FROM punctuation WHERE stage = ? AND partition = ? ORDER BY id",
                             arguments: [stage, Int64(partition)]).map {
                var punctuation = Punctuation(stream: $0["stream"], position: $0["position"], time: $0["time"])
                punctuation.id = $0["id"]
                return punctuation
            }
        }
    }

    /// Removes a stage's state (`tideline reset` and tests).
    public func reset(stage: String) throws {
        let files = try pool.write { db in
            let files = try String.fetchAll(db, sql: "SELECT file FROM checkpoint WHERE stage = ? AND file IS NOT NULL", arguments: [stage])
            for table in ["checkpoint", "checkpoint_offset", "punctuation"] {
                try db.execute(sql: "DELETE FROM \(table) WHERE stage = ?", arguments: [stage])
            }
            return files
        }
        removeSnapshotFiles(files)
    }
}
