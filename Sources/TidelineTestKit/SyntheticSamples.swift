import Statistics

/// The deterministic samples and streams that `Benchmarks/peers/drift_reference.py` feeds to scipy and River:
/// SplitMix64 and integer arithmetic only, so both sides see identical doubles and the fixtures need not store
/// the data.
public enum SyntheticSamples {
    /// A sample: `kind` "uniform" (k in [0, scale)), "normal" (sum of 4 uniforms in [0, scale) minus 2·scale),
    /// or "discrete" (like uniform, meant for small scales with heavy ties); values are (k + shift) / 1000.
    public static func sample(seed: UInt64, kind: String, count: Int, scale: Int, shift: Int) -> [Double] {
        var rng = SplitMix64(seed: seed)
        var out: [Double] = []
        out.reserveCapacity(count)
        for _ in 0..<count {
            let k: Int
            if kind == "normal" {
                var s = 0
                for _ in 0..<4 { s += Int(rng.below(UInt64(scale))) }
                k = s - 2 * scale
            } else {
                k = Int(rng.below(UInt64(scale)))
            }
            out.append(Double(k + shift) / 1000.0)
        }
        return out
    }

    /// A binary stream of segments (length, p): 1 when 53 random bits fall below p·2⁵³.
    public static func bernoulliStream(seed: UInt64, segments: [(length: Int, p: Double)]) -> [Double] {
        var rng = SplitMix64(seed: seed)
        var out: [Double] = []
        for segment in segments {
            let threshold = UInt64(segment.p * 0x1p53)
            for _ in 0..<segment.length { out.append((rng.next() >> 11) < threshold ? 1 : 0) }
        }
        return out
    }

    /// A numeric stream of segments (length, scale, shift), each value drawn like `sample(kind: "normal")`.
    public static func numericStream(seed: UInt64, segments: [(length: Int, scale: Int, shift: Int)]) -> [Double] {
        var rng = SplitMix64(seed: seed)
        var out: [Double] = []
        for segment in segments {
            for _ in 0..<segment.length {
                var s = 0
                for _ in 0..<4 { s += Int(rng.below(UInt64(segment.scale))) }
                out.append(Double(s - 2 * segment.scale + segment.shift) / 1000.0)
            }
        }
        return out
    }
}
