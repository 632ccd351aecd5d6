import Kafka
import Testing
@testable import Pipeline

@Suite struct StageReadinessTests {
    @Test func readyBetweenAnAssignmentAndARevocationOrStop() {
        let r = StageReadiness()
        let p0 = TopicPartition(topic: "predictions", partition: 0), p1 = TopicPartition(topic: "predictions", partition: 1)
        #expect(!r.isReady, "not before the first assignment")
        r.assigned([])
        #expect(r.isReady, "an empty assignment (more instances than partitions) is still ready")
        r.assigned([p0, p1])
        #expect(r.partitions == [p0, p1])
        r.revoked([p1])
        #expect(!r.isReady, "rebalancing")
        #expect(r.partitions == [p0])
        r.assigned([p1])
        #expect(r.isReady)
        r.stop()
        #expect(!r.isReady, "stopped")
    }
}
