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
}
