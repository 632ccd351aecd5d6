import Events
import LabelJoin
import Testing
import TidelineTestKit

/// The stage's way of feeding the operator (request keys computed by the caller, `prefetch` hints ahead) changes
/// nothing: the same examples in the same order, and the same statistics, as feeding it event by event.
@Suite struct RequestKeyTests {
    @Test(arguments: 0 ..< 4)
    func hintsAndCallerKeysChangeNoOutput(seed: Int) throws {
        let config = LabelJoinPropertyTests.configuration()
        let (predictions, labels) = LabelJoinPropertyTests.scenario(seed: UInt64(seed) &* 104_729 &+ 3, count: 2_000)
        var plainStatistics = JoinStatistics(), hintedStatistics = JoinStatistics()
        let plain = try LabelJoinPropertyTests.runOperator(config, predictions, labels, seed: UInt64(seed), restoreChance: 0,
                                                           statistics: &plainStatistics)
        let hinted = try LabelJoinPropertyTests.runOperator(config, predictions, labels, seed: UInt64(seed), restoreChance: 0,
                                                            hinted: true, statistics: &hintedStatistics)
        #expect(plain.count > 500)
        #expect(hinted == plain, "the same examples in the same order")
        #expect(hintedStatistics == plainStatistics)
    }

    @Test func equalRequestIDsGiveEqualKeysWhateverTheirStorage() {
        #expect(RequestKey(requestID: "req-1") == RequestKey(requestID: "req-1"))
        #expect(RequestKey(requestID: "req-1") != RequestKey(requestID: "req-2"))
        let long = String(repeating: "é", count: 40)  // not a small string, not ASCII
        #expect(RequestKey(requestID: long) == RequestKey(requestID: String(decoding: Array(long.utf8), as: UTF8.self)))
    }

    @Test func aKeyOfAnotherRequestIDIsRefusedInDebugBuilds() async {
        await #expect(processExitsWith: .failure) {
            var op = LabelJoinOperator(configuration: LabelJoinPropertyTests.configuration())
            var out = JoinOutput()
            let label = LabelEvent(requestID: "req-1", timestamp: EventTime(milliseconds: 1_700_000_000_000), label: .bool(true))
            op.process(label, key: RequestKey(requestID: "req-2"), recordTimestamp: nil, into: &out)
        }
    }
}
