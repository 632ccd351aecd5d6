/// Kafka's Java-compatible key partitioner: `toPositive(murmur2(key)) % partitions`.
///
/// librdkafka's `murmur2_random` partitioner uses the same function for keyed messages, so this is how a
/// Tideline component predicts, without a broker, the partition that Java clients, librdkafka and the
/// producers of `predictions` and `labels` choose for a key (co-partitioning, file-based replay).
public enum Murmur2Partitioner {
    /// The partition for `key` among `partitions` partitions.
    @inlinable
    public static func partition<Bytes: Collection>(key: Bytes, partitions: Int) -> Int32 where Bytes.Element == UInt8 {
        precondition(partitions > 0, "partition count must be positive")
        return Int32(Int(murmur2(key) & 0x7fff_ffff) % partitions)
    }

    /// Kafka's `Utils.murmur2` (seed 0x9747b28c), bit for bit.
    @inlinable
    public static func murmur2<Bytes: Collection>(_ data: Bytes) -> Int32 where Bytes.Element == UInt8 {
        let bytes = Array(data)
        let length = bytes.count
        let m: UInt32 = 0x5bd1_e995
        let r: UInt32 = 24
        var h: UInt32 = 0x9747_b28c ^ UInt32(truncatingIfNeeded: length)
        let blocks = length / 4
        for i in 0..<blocks {
            let b = i * 4
            var k = UInt32(bytes[b]) | UInt32(bytes[b + 1]) << 8 | UInt32(bytes[b + 2]) << 16 | UInt32(bytes[b + 3]) << 24
            k = k &* m
            k ^= k >> r
            k = k &* m
            h = h &* m
            h ^= k
        }
        let tail = blocks * 4
        switch length % 4 {
        case 3:
            h ^= UInt32(bytes[tail + 2]) << 16
            h ^= UInt32(bytes[tail + 1]) << 8
            h ^= UInt32(bytes[tail])
            h = h &* m
        case 2:
            h ^= UInt32(bytes[tail + 1]) << 8
            h ^= UInt32(bytes[tail])
            h = h &* m
        case 1:
            h ^= UInt32(bytes[tail])
            h = h &* m
        default:
            break
        }
        h ^= h >> 13
        h = h &* m
        h ^= h >> 15
        return Int32(bitPattern: h)
    }
}
