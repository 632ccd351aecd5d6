import Events
import Foundation
import ModelStore
import Testing
import Training

@Suite struct ModelStoreTests {
    func directory() -> String {
        let d = NSTemporaryDirectory() + "tideline-modelstore-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }

    /// A trainer's updates recorded twice (as after a crash and replay) give one catalog row per version, with
    /// lineage by parent, and every checkpoint loads back verified.
    func trainedUpdates(_ dir: String) -> TrainerOutput {
        var c = TrainerConfiguration()
        c.features.maxDense = 4
        c.features.hashBits = 6
        c.triggers.examples = 1_000
        c.triggers.errorChangeDelta = nil
        c.checkpointDirectory = dir + "/models"
        var t = ModelTrainer(model: "ctr", configuration: c)
        var out = TrainerOutput()
        var rng = UInt64(7)
        for i in 0 ..< 4_000 {
            rng = rng &* 6364136223846793005 &+ 1442695040888963407
            let x = Double(rng >> 11) * 0x1p-53
            let time = EventTime(milliseconds: 1_700_000_000_000 + Int64(i) * 1_000)
            t.process(LabeledExample(eventID: "e\(i)", requestID: "r\(i)", model: "ctr", modelVersion: "v0", features: [Feature("x", .number(x))],
                                     prediction: .score(0.5), label: .bool(x > 0.5), labelKind: .observed, predictionTime: time, labelTime: time),
                      source: .init(topic: "labeled-examples", partition: 0, offset: Int64(i)), into: &out)
        }
        return out
    }

    @Test func catalogRecordsLineageIdempotently() throws {
        let dir = directory()
        let store = try ModelStore(path: dir + "/catalog.sqlite")
        let out = trainedUpdates(dir)
        #expect(out.updates.count == 3)
        for file in out.checkpoints { try store.write(file) }
        for u in out.updates + out.updates { try store.record(u) }
        let versions = try store.versions(model: "ctr")
        #expect(versions.map(\.version) == ["v1", "v2", "v3"])
        #expect(try store.models().first?.versions == 3)
        let lineage = try store.lineage(model: "ctr", version: "v3")
        // Newest first, each entry's parent is the next entry, ending at the first version (no parent).
        #expect(lineage.first?.version == "v3")
        #expect(lineage.last?.version == "v1" && lineage.last?.parentVersion == nil)
        for (child, parent) in zip(lineage, lineage.dropFirst()) { #expect(child.parentVersion == parent.version) }
        #expect(lineage.map(\.version) == versions.filter { v in lineage.contains { $0.version == v.version } }.map(\.version).reversed())
        #expect(versions[0].exampleCount > 0)
        let event = try ModelUpdateEvent.decode(json: versions[1].event)
        #expect(event.data.sourceOffsets.first?.topic == "labeled-examples")
        let artifact = try store.loadArtifact(model: "ctr", version: "v2")
        #expect(artifact.version == "v2")
    }

    @Test func corruptedCheckpointFailsWithAClearError() throws {
        let dir = directory()
        let store = try ModelStore(path: dir + "/catalog.sqlite")
        let out = trainedUpdates(dir)
        for file in out.checkpoints { try store.write(file) }
        for u in out.updates { try store.record(u) }
        let path = out.checkpoints[0].path
        var bytes = [UInt8](FileManager.default.contents(atPath: path)!)
        bytes[bytes.count / 2] ^= 0x01
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        #expect {
            try store.loadArtifact(model: "ctr", version: "v1")
        } throws: { error in
            let text = "\(error)"
            return text.contains("corrupted") && text.contains(path) && text.contains("sha256")
        }
        try FileManager.default.removeItem(atPath: path)
        #expect { try store.loadArtifact(model: "ctr", version: "v1") } throws: { "\($0)".contains("missing") }
        // The other versions are unaffected.
        #expect(try store.loadArtifact(model: "ctr", version: "v2").version == "v2")
    }

    @Test func atomicWriteReplacesWholeFiles() throws {
        let dir = directory()
        let path = dir + "/sub/file.bin"
        try ModelStore.writeAtomically(Array(repeating: 1, count: 1_000), to: path)
        try ModelStore.writeAtomically(Array(repeating: 2, count: 10), to: path)
        #expect([UInt8](FileManager.default.contents(atPath: path)!) == Array(repeating: 2, count: 10))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir + "/sub").filter { $0.contains(".tmp-") }
        #expect(leftovers.isEmpty)
    }
}
