import Events
import Foundation
import LabelJoin
import Testing
import TidelineTestKit

/// The checkpoint format must outlive the operator's in-memory layout: a snapshot written by an earlier build
/// (the committed fixture) restores, continues to exactly the output of a run that never stopped, and this build
/// writes the same bytes for the same state.
///
/// The fixture is the snapshot this test takes half-way through a fixed scenario. Regenerate it (only when the
/// format is changed on purpose, with a new magic) with `TIDELINE_WRITE_FIXTURES=1 swift test --filter JoinSnapshotFormatTests`.
@Suite struct JoinSnapshotFormatTests {
    static let fixture = Bundle.module.url(forResource: "join-snapshot-tlj2", withExtension: "bin", subdirectory: "Fixtures")!
    /// The same state written before snapshots listed held predictions in arrival order (they were listed by
    /// entry number, which depends on how numbers were reused): the same format, still restored exactly.
    static let entryOrderFixture = Bundle.module.url(forResource: "join-snapshot-tlj2-entry-order", withExtension: "bin", subdirectory: "Fixtures")!
    /// The same state written before snapshots listed held labels in arrival order (they were listed by the slot
    /// each occupied, which depends on how slots were reused): the same format, still restored exactly.
    static let labelSlotOrderFixture = Bundle.module.url(forResource: "join-snapshot-tlj2-label-slot-order", withExtension: "bin",
                                                         subdirectory: "Fixtures")!

    /// Feeds the scenario in fixed chunks (15 predictions, then 12 labels); returns the examples and, when
    /// `snapshotAt` is reached, the snapshot taken there.
    static func run(from start: (op: LabelJoinOperator, i: Int, j: Int)?, snapshotAt: Int?) throws
        -> (examples: [LabeledExample], snapshot: [UInt8]?, op: LabelJoinOperator, i: Int, j: Int) {
        let config = LabelJoinPropertyTests.configuration()
        let (predictions, labels) = LabelJoinPropertyTests.scenario(seed: 5, count: 800)
        var op = start?.op ?? LabelJoinOperator(configuration: config)
        var (i, j) = (start?.i ?? 0, start?.j ?? 0)
        var out = JoinOutput()
        var examples: [LabeledExample] = []
        var snapshot: [UInt8]?
        var step = 0
        while i < predictions.count || j < labels.count {
            if step == snapshotAt { return (examples, op.snapshot(), op, i, j) }
            for _ in 0 ..< 15 where i < predictions.count {
                op.feed(predictions[i], into: &out)
                i += 1
            }
            for _ in 0 ..< 12 where j < labels.count {
                op.feed(labels[j], into: &out)
                j += 1
            }
            examples += try out.examples()
            out.removeAll()
            step += 1
        }
        snapshot = nil
        return (examples, snapshot, op, i, j)
    }

    @Test func snapshotFromAnEarlierBuildRestoresAndContinuesExactly() throws {
        let whole = try Self.run(from: nil, snapshotAt: nil)
        let half = try Self.run(from: nil, snapshotAt: 20)
        let taken = try #require(half.snapshot)
        if ProcessInfo.processInfo.environment["TIDELINE_WRITE_FIXTURES"] == "1" {
            let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/join-snapshot-tlj2.bin")
            try Data(taken).write(to: source)
        }
        let stored = try [UInt8](Data(contentsOf: Self.fixture))
        // The state half-way holds open and closed predictions, labels waiting for their prediction, corrections
        // and string aggregates: the fixture exercises every part of the format.
        let restored = try LabelJoinOperator(configuration: LabelJoinPropertyTests.configuration(), snapshot: stored)
        #expect(restored.openPredictions >= 5 && restored.heldPredictions > restored.openPredictions && restored.heldLabels > 10,
                "\(restored.openPredictions) open, \(restored.heldPredictions) held, \(restored.heldLabels) labels")
        let resavedSame = restored.snapshot() == stored, takenSame = taken == stored  // Bools: no 5 KB arrays in failures
        #expect(resavedSame, "restoring and re-saving the fixture changed its bytes")
        #expect(takenSame, "this build writes a different snapshot for the same state (\(taken.count) vs \(stored.count) bytes)")
        let rest = try Self.run(from: (restored, half.i, half.j), snapshotAt: nil)
        #expect(half.examples.count + rest.examples.count == whole.examples.count)
        #expect(half.examples + rest.examples == whole.examples)
        #expect(rest.op.statistics == whole.op.statistics)
    }

    /// A fixture of the half-way state as an earlier build wrote it, with `what` listed in another order: it restores,
    /// re-saves byte for byte, is not what this build writes, and continues to exactly the uninterrupted output.
    static func expectEarlierOrderRestoresExactly(_ fixture: URL, listing what: String) throws -> (restored: LabelJoinOperator, taken: LabelJoinOperator) {
        let whole = try run(from: nil, snapshotAt: nil)
        let half = try run(from: nil, snapshotAt: 20)
        let stored = try [UInt8](Data(contentsOf: fixture))
        let restored = try LabelJoinOperator(configuration: LabelJoinPropertyTests.configuration(), snapshot: stored)
        let resavedSame = restored.snapshot() == stored, sameAsTaken = half.snapshot == stored
        #expect(resavedSame, "restoring and re-saving the fixture listing \(what) in the earlier order changed its bytes")
        #expect(!sameAsTaken, "the fixture should list \(what) in another order than this build")
        let rest = try run(from: (restored, half.i, half.j), snapshotAt: nil)
        #expect(half.examples + rest.examples == whole.examples)
        #expect(rest.op.statistics == whole.op.statistics)
        return (restored, half.op)
    }

    @Test func snapshotListingPredictionsByEntryNumberStillRestoresExactly() throws {
        let (restored, taken) = try Self.expectEarlierOrderRestoresExactly(Self.entryOrderFixture, listing: "held predictions")
        #expect(restored.heldPredictions == taken.heldPredictions && restored.heldPredictions > restored.openPredictions)
    }

    @Test func snapshotListingHeldLabelsBySlotStillRestoresExactly() throws {
        let (restored, taken) = try Self.expectEarlierOrderRestoresExactly(Self.labelSlotOrderFixture, listing: "held labels")
        #expect(restored.heldLabels == taken.heldLabels && restored.heldLabels > 10)
    }
}
