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
/// Thread-safe; calls block the calling thread for the duration of one SQLite transaction.
public final class CheckpointStore: Sendable {
    private let pool: DatabasePool
    public let path: String

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

    public init(path: String, busyTimeout: TimeInterval = 30, durableAgainstPowerLoss: Bool = false) throws {
        self.path = path
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
        try migrator.migrate(pool)
    }

    /// The last checkpoint of a partition, if any.
    public func load(stage: String, partition: Int32) throws -> Checkpoint? {
        try pool.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT state FROM checkpoint WHERE stage = ? AND partition = ?",
                                             arguments: [stage, Int64(partition)]) else { return nil }
            let data: Data = row["state"]
            var offsets: [String: Int64] = [:]
            for r in try Row.fetchAll(db, sql: "SELECT stream, next_offset FROM checkpoint_offset WHERE stage = ? AND partition = ?",
                                      arguments: [stage, Int64(partition)]) {
                offsets[r["stream"]] = r["next_offset"]
            }
            return Checkpoint(state: [UInt8](data), offsets: offsets)
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
        try pool.write { db in
            let now = Date()
            for (partition, checkpoint) in checkpoints {
                try checkpoint.state.withUnsafeBytes { state in
                    // Bound for this statement only, so the snapshot (hundreds of MB for a large state) is not copied
                    // into a `Data` first: SQLite takes its own copy.
                    let blob = state.baseAddress.map {
                        Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: $0), count: state.count, deallocator: .none)
                    } ?? Data()
                    try db.execute(sql: "INSERT OR REPLACE INTO checkpoint (stage, partition, state, saved_at) VALUES (?, ?, ?, ?)",
                                   arguments: [stage, Int64(partition), blob, now])
                }
                for (stream, offset) in checkpoint.offsets {
                    try db.execute(sql: "INSERT OR REPLACE INTO checkpoint_offset (stage, partition, stream, next_offset) VALUES (?, ?, ?, ?)",
                                   arguments: [stage, Int64(partition), stream, offset])
                    try db.execute(sql: "DELETE FROM punctuation WHERE stage = ? AND partition = ? AND stream = ? AND position <= ? AND id <= ?",
                                   arguments: [stage, Int64(partition), stream, offset, punctuationsThrough])
                }
            }
        }
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
        try pool.write { db in
            for table in ["checkpoint", "checkpoint_offset", "punctuation"] {
                try db.execute(sql: "DELETE FROM \(table) WHERE stage = ?", arguments: [stage])
            }
        }
    }
}
