import Foundation
import StateStore
import Testing

@Suite struct CheckpointStoreTests {
    func temporaryPath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("tideline-\(UUID().uuidString)/state.sqlite").path
    }

    @Test func savesAndLoadsStateWithOffsetsAtomically() throws {
        let path = temporaryPath()
        let store = try CheckpointStore(path: path)
        #expect(try store.load(stage: "join", partition: 0) == nil)
        let a = CheckpointStore.Checkpoint(state: [1, 2, 3], offsets: ["predictions": 10, "labels": 7])
        try store.save(stage: "join", [(0, a)])
        #expect(try store.load(stage: "join", partition: 0) == a)
        #expect(try store.offsets(stage: "join", partition: 0) == ["predictions": 10, "labels": 7])
        #expect(try store.load(stage: "other", partition: 0) == nil)
        // A second process (here: a second store on the same file) sees it.
        let other = try CheckpointStore(path: path)
        #expect(try other.load(stage: "join", partition: 0) == a)
    }

    @Test func punctuationsAreKeptUntilACheckpointReflectsThem() throws {
        let store = try CheckpointStore(path: temporaryPath())
        try store.record(stage: "join", partition: 3, .init(stream: "labels", position: 5, time: 100))
        try store.record(stage: "join", partition: 3, .init(stream: "predictions", position: 9, time: 200))
        try store.record(stage: "join", partition: 3, .init(stream: "labels", position: 8, time: 300))
        #expect(try store.punctuations(stage: "join", partition: 3).map(\.time) == [100, 200, 300])
        try store.save(stage: "join", [(3, .init(state: [], offsets: ["labels": 6, "predictions": 9]))])
        #expect(try store.punctuations(stage: "join", partition: 3).map(\.time) == [300])
    }

    /// A checkpoint saved in the background reflects the punctuations recorded before its snapshot; one recorded
    /// while it was being saved, at the same position, is not in the snapshot and must survive the save.
    @Test func aPunctuationRecordedAfterTheSnapshotSurvivesItsSave() throws {
        let store = try CheckpointStore(path: temporaryPath())
        let before = try store.record(stage: "join", partition: 1, .init(stream: "labels", position: 5, time: 100))
        // The snapshot is taken here (labels at offset 5), then saved while the stage goes on and punctuates again.
        let after = try store.record(stage: "join", partition: 1, .init(stream: "labels", position: 5, time: 200))
        #expect(after > before)
        #expect(try store.punctuations(stage: "join", partition: 1).map(\.id) == [before, after])
        try store.save(stage: "join", [(1, .init(state: [], offsets: ["labels": 5]))], punctuationsThrough: before)
        #expect(try store.punctuations(stage: "join", partition: 1).map(\.time) == [200])
        try store.save(stage: "join", [(1, .init(state: [], offsets: ["labels": 5]))], punctuationsThrough: after)
        #expect(try store.punctuations(stage: "join", partition: 1).isEmpty)
    }

    func snapshotFiles(_ store: CheckpointStore) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: store.snapshotDirectory).sorted()
    }

    /// A large snapshot is a file beside the database: it loads back byte for byte (here also in a second store on the
    /// same file, as another instance would), a newer checkpoint replaces its file, a small one goes back into the
    /// database, and a reset removes the files.
    @Test func largeSnapshotsAreFilesThatFollowTheirCheckpoints() throws {
        let path = temporaryPath()
        let store = try CheckpointStore(path: path, snapshotFileThreshold: 1_000)
        let large = (0 ..< 5_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        try store.save(stage: "join", [(0, .init(state: large, offsets: ["labels": 3])), (1, .init(state: [7, 8], offsets: ["labels": 4]))])
        #expect(try snapshotFiles(store).count == 1)
        #expect(try store.load(stage: "join", partition: 0) == .init(state: large, offsets: ["labels": 3]))
        #expect(try store.load(stage: "join", partition: 1) == .init(state: [7, 8], offsets: ["labels": 4]))
        #expect(try CheckpointStore(path: path, snapshotFileThreshold: 1_000).load(stage: "join", partition: 0)?.state == large)

        let first = try snapshotFiles(store)
        let larger = large + large.reversed()
        try store.save(stage: "join", [(0, .init(state: larger, offsets: ["labels": 9]))])
        let second = try snapshotFiles(store)
        #expect(second.count == 1 && second != first, "the replaced file is deleted")
        #expect(try store.load(stage: "join", partition: 0)?.state == larger)

        try store.save(stage: "join", [(0, .init(state: [1, 2, 3], offsets: ["labels": 10]))])
        #expect(try snapshotFiles(store).isEmpty)
        #expect(try store.load(stage: "join", partition: 0)?.state == [1, 2, 3])

        try store.save(stage: "join", [(2, .init(state: large, offsets: [:]))])
        #expect(try snapshotFiles(store).count == 1)
        try store.reset(stage: "join")
        #expect(try snapshotFiles(store).isEmpty)
        #expect(try store.load(stage: "join", partition: 2) == nil)

        // Synced to disk (file and directory) before the transaction when asked to survive power loss.
        let durable = try CheckpointStore(path: temporaryPath(), durableAgainstPowerLoss: true, snapshotFileThreshold: 1_000)
        try durable.save(stage: "join", [(0, .init(state: large, offsets: [:]))])
        #expect(try snapshotFiles(durable).count == 1 && durable.load(stage: "join", partition: 0)?.state == large)
    }

    /// A crash between a file's write and its transaction leaves a file no checkpoint names. Opening a store removes
    /// such files once they are an hour old, and keeps younger ones (another instance's save may be under way) and
    /// every file a checkpoint names. A named file that has gone is an error that says which file.
    @Test func unreferencedSnapshotFilesAreRemovedOnceOld() throws {
        let path = temporaryPath()
        let store = try CheckpointStore(path: path, snapshotFileThreshold: 10)
        let state = [UInt8](repeating: 5, count: 100)
        try store.save(stage: "join", [(0, .init(state: state, offsets: [:]))])
        let named = try snapshotFiles(store)
        let fm = FileManager.default
        for name in ["old-orphan.snapshot", "young-orphan.snapshot"] {
            #expect(fm.createFile(atPath: store.snapshotDirectory + "/" + name, contents: Data([1])))
        }
        let twoHoursAgo = Date().addingTimeInterval(-7_200)
        for name in named + ["old-orphan.snapshot"] {
            try fm.setAttributes([.modificationDate: twoHoursAgo], ofItemAtPath: store.snapshotDirectory + "/" + name)
        }
        let reopened = try CheckpointStore(path: path, snapshotFileThreshold: 10)
        #expect(try snapshotFiles(reopened) == (named + ["young-orphan.snapshot"]).sorted())
        #expect(try reopened.load(stage: "join", partition: 0)?.state == state)

        try fm.removeItem(atPath: store.snapshotDirectory + "/" + named[0])
        #expect {
            _ = try reopened.load(stage: "join", partition: 0)
        } throws: { error in
            "\(error)".contains(named[0])
        }
    }
}
