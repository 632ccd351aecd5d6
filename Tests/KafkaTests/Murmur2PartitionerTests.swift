import Kafka
import Testing

@Suite struct Murmur2PartitionerTests {
    /// The vectors of Apache Kafka's `UtilsTest.testMurmur2` (Java client), which librdkafka's murmur2 matches.
    @Test(arguments: [
        ("21", Int32(-973_932_308)),
        ("foobar", -790_332_482),
        ("a-little-bit-long-string", -985_981_536),
        ("a-little-bit-longer-string", -1_486_304_829),
        ("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58_897_971),
        ("abc", 479_470_107),
    ])
    func matchesJavaKafka(key: String, hash: Int32) {
        #expect(Murmur2Partitioner.murmur2(Array(key.utf8)) == hash)
    }

    @Test func partitionIsPositiveModulo() {
        // toPositive(h) % n, as Java's DefaultPartitioner / BuiltInPartitioner.
        let h = Murmur2Partitioner.murmur2(Array("foobar".utf8))
        #expect(Murmur2Partitioner.partition(key: Array("foobar".utf8), partitions: 6) == Int32(Int(h & 0x7fff_ffff) % 6))
        for n in 1...64 {
            let p = Murmur2Partitioner.partition(key: Array("key-\(n)".utf8), partitions: n)
            #expect(p >= 0 && p < n)
        }
    }
}
