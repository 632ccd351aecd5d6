import Events
import CNumericKernels
import Foundation

/// Logistic or linear regression over standardized dense features plus hashed sparse features, trained online
/// with SGD, AdaGrad or FTRL-Proximal and L1/L2 regularization.
///
/// Learning a batch first updates the running scaler with the batch, then takes one step per row in order
/// (predict, then update: the returned scores are progressive, made before the row was learned). L2 and, for
/// SGD and AdaGrad, L1 (a truncated-gradient step) are applied to the coordinates a row touches only ("lazy"
/// regularization, as online learners for hashed features do); FTRL applies both in closed form.
///
/// The score is `link(bias + Σ_j w_j·(x_j − mean_j)/std_j + Σ_slots v_slot)` (missing dense values contribute 0);
/// `parameters` exports everything a serving process needs to compute it (see `LinearModelScorer`).
public struct LinearModel: Sendable, Hashable, Codable {
    public struct Configuration: Sendable, Hashable, Codable {
        public var objective: LinearObjective = .logistic
        public var optimizer: Optimizer = .defaultAdagrad
        public var l1: Double = 0
        public var l2: Double = 0
        /// Gradients are clipped to ±clip per row (0 = no clipping); guards squared loss against outliers.
        public var clip: Double = 0
        public init(objective: LinearObjective = .logistic, optimizer: Optimizer = .defaultAdagrad, l1: Double = 0, l2: Double = 0, clip: Double = 0) {
            self.objective = objective; self.optimizer = optimizer; self.l1 = l1; self.l2 = l2; self.clip = clip
        }
    }

    public let configuration: Configuration
    public let width: Int
    public let hashBits: Int
    public private(set) var scaler: RunningScaler
    /// Rows learned.
    public private(set) var steps: Int64 = 0
    // Per coordinate: the weight (SGD, AdaGrad) or z (FTRL); the accumulated squared gradient (AdaGrad, FTRL's n).
    private var dense: [Double]
    private var denseAccumulator: [Double]
    private var sparse: [Double]
    private var sparseAccumulator: [Double]
    private var bias: Double = 0
    private var biasAccumulator: Double = 0
    private var scratch: [Double] = []

    public init(configuration: Configuration = Configuration(), width: Int, hashBits: Int) {
        self.configuration = configuration
        self.width = width
        self.hashBits = hashBits
        scaler = RunningScaler(width: width)
        dense = Array(repeating: 0, count: width)
        denseAccumulator = Array(repeating: 0, count: width)
        sparse = Array(repeating: 0, count: 1 << hashBits)
        sparseAccumulator = Array(repeating: 0, count: 1 << hashBits)
    }

    // MARK: Weights

    @inline(__always)
    static func ftrlWeight(z: Double, n: Double, alpha: Double, beta: Double, l1: Double, l2: Double) -> Double {
        if abs(z) <= l1 { return 0 }
        let sign: Double = z < 0 ? -1 : 1
        return -(z - sign * l1) / ((beta + n.squareRoot()) / alpha + l2)
    }

    /// The effective weights (FTRL's are solved from z and n).
    public var denseWeights: [Double] {
        guard case .ftrl(let a, let b) = configuration.optimizer else { return dense }
        return (0 ..< width).map { Self.ftrlWeight(z: dense[$0], n: denseAccumulator[$0], alpha: a, beta: b, l1: configuration.l1, l2: configuration.l2) }
    }

    public var sparseWeights: [Double] {
        guard case .ftrl(let a, let b) = configuration.optimizer else { return sparse }
        return sparse.indices.map { Self.ftrlWeight(z: sparse[$0], n: sparseAccumulator[$0], alpha: a, beta: b, l1: configuration.l1, l2: configuration.l2) }
    }

    public var biasWeight: Double {
        guard case .ftrl(let a, let b) = configuration.optimizer else { return bias }
        return Self.ftrlWeight(z: bias, n: biasAccumulator, alpha: a, beta: b, l1: 0, l2: 0)
    }

    public var isFinite: Bool {
        bias.isFinite && dense.allSatisfy(\.isFinite) && sparse.allSatisfy(\.isFinite)
    }

    @inline(__always)
    func link(_ z: Double) -> Double {
        switch configuration.objective {
        case .logistic: return 1 / (1 + exp(-z))
        case .squared: return z
        }
    }

    // MARK: Scoring

    /// Scores every row of `batch` with the current weights and scaler, into `out`.
    public func predict(_ batch: ExampleBatch, into out: inout [Double]) {
        out.removeAll(keepingCapacity: true)
        guard batch.count > 0 else { return }
        var x: [Double] = []
        scaler.transform(batch, into: &x)
        let w = denseWeights, b = biasWeight
        let ftrl: (Double, Double)? = { if case .ftrl(let a, let bb) = configuration.optimizer { return (a, bb) } else { return nil } }()
        for i in 0 ..< batch.count {
            var z = b
            z += x.withUnsafeBufferPointer { xs in w.withUnsafeBufferPointer { ws in Self.dot(ws.baseAddress!, xs.baseAddress! + i * width, width) } }
            for k in batch.sparseStart[i] ..< batch.sparseStart[i + 1] {
                let s = Int(batch.sparse[k])
                if let (a, bb) = ftrl {
                    z += Self.ftrlWeight(z: sparse[s], n: sparseAccumulator[s], alpha: a, beta: bb, l1: configuration.l1, l2: configuration.l2)
                } else {
                    z += sparse[s]
                }
            }
            out.append(link(z))
        }
    }

    /// Σ a[j]·b[j] over n doubles, in two SIMD4 accumulators. Multiply then add, not `addingProduct`: on the
    /// baseline x86-64 target a fused multiply-add becomes a libm `fma` call per lane.
    @inline(__always)
    static func dot(_ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, _ n: Int) -> Double {
        var acc0 = SIMD4<Double>(), acc1 = SIMD4<Double>()
        var j = 0
        while j + 8 <= n {
            let a0 = UnsafeRawPointer(a + j).loadUnaligned(as: SIMD4<Double>.self)
            let b0 = UnsafeRawPointer(b + j).loadUnaligned(as: SIMD4<Double>.self)
            let a1 = UnsafeRawPointer(a + j + 4).loadUnaligned(as: SIMD4<Double>.self)
            let b1 = UnsafeRawPointer(b + j + 4).loadUnaligned(as: SIMD4<Double>.self)
            acc0 += a0 * b0
            acc1 += a1 * b1
            j += 8
        }
        if j + 4 <= n {
            acc0 += UnsafeRawPointer(a + j).loadUnaligned(as: SIMD4<Double>.self) * UnsafeRawPointer(b + j).loadUnaligned(as: SIMD4<Double>.self)
            j += 4
        }
        var s = (acc0 + acc1).sum()
        while j < n { s += a[j] * b[j]; j += 1 }
        return s
    }

    // MARK: Learning

    /// Learns every row of `batch` in order; `progressive[i]` receives row i's score before it was learned.
    public mutating func learn(_ batch: ExampleBatch, progressive: inout [Double]) {
        progressive.removeAll(keepingCapacity: true)
        guard batch.count > 0 else { return }
        scaler.update(batch)
        var x = scratch
        scratch = []
        scaler.transform(batch, into: &x)
        progressive.reserveCapacity(batch.count)
        switch configuration.optimizer {
        case .sgd(let rate, let power): learnSGD(batch, x, rate: rate, power: power, adaptive: false, epsilon: 0, &progressive)
        case .adagrad(let rate, let epsilon): learnSGD(batch, x, rate: rate, power: 0, adaptive: true, epsilon: epsilon, &progressive)
        case .ftrl(let alpha, let beta): learnFTRL(batch, x, alpha: alpha, beta: beta, &progressive)
        }
        scratch = x
    }

    @inline(__always)
    static func gradient(_ p: Double, _ y: Double, clip c: Double) -> Double {
        let g = p - y  // d(loss)/dz for log loss with the sigmoid and for squared loss with the identity
        return c > 0 ? min(max(g, -c), c) : g
    }

    private mutating func learnSGD(_ batch: ExampleBatch, _ x: [Double], rate: Double, power: Double, adaptive: Bool, epsilon: Double,
                                   _ progressive: inout [Double]) {
        let width = self.width, l1 = configuration.l1, l2 = configuration.l2
        let logistic = configuration.objective == .logistic, clip = configuration.clip
        var bias = self.bias, biasAcc = self.biasAccumulator, steps = self.steps
        let avx = tideline_kernels_have_avx()
        x.withUnsafeBufferPointer { xs in
        batch.targets.withUnsafeBufferPointer { ys in
        batch.sparse.withUnsafeBufferPointer { slots in
        batch.sparseStart.withUnsafeBufferPointer { starts in
        dense.withUnsafeMutableBufferPointer { w in
        denseAccumulator.withUnsafeMutableBufferPointer { G in
        sparse.withUnsafeMutableBufferPointer { v in
        sparseAccumulator.withUnsafeMutableBufferPointer { H in
            let wp = w.baseAddress!, gp = G.baseAddress!
            for i in 0 ..< batch.count {
                let row = xs.baseAddress! + i * width
                var z = bias + Self.dot(wp, row, width)
                let s0 = starts[i], s1 = starts[i + 1]
                for k in s0 ..< s1 { z += v[Int(slots[k])] }
                let p = logistic ? 1 / (1 + exp(-z)) : z
                progressive.append(p)
                let g = Self.gradient(p, ys[i], clip: clip)
                steps += 1
                if adaptive {
                    if avx {
                        tideline_adagrad_dense_avx(wp, gp, row, width, g, l2, rate, epsilon)
                    } else {
                        Self.adagradDense(wp, gp, row, width, g: g, l2: l2, rate: rate, epsilon: epsilon)
                    }
                    if l1 > 0 {
                        for j in 0 ..< width where row[j] != 0 {
                            let t = l1 * rate / (gp[j].squareRoot() + epsilon)
                            wp[j] = wp[j] > 0 ? max(0, wp[j] - t) : min(0, wp[j] + t)
                        }
                    }
                    for k in s0 ..< s1 {
                        let s = Int(slots[k])
                        let gj = g + l2 * v[s]
                        H[s] += gj * gj
                        let step = rate / (H[s].squareRoot() + epsilon)
                        var nv = v[s] - step * gj
                        if l1 > 0 { nv = nv > 0 ? max(0, nv - l1 * step) : min(0, nv + l1 * step) }
                        v[s] = nv
                    }
                    biasAcc += g * g
                    bias -= rate * g / (biasAcc.squareRoot() + epsilon)
                } else {
                    let eta = power == 0 ? rate : rate / pow(Double(steps), power)
                    var j = 0
                    let gv = SIMD4<Double>(repeating: g), l2v = SIMD4<Double>(repeating: l2), etav = SIMD4<Double>(repeating: eta)
                    while j + 4 <= width {
                        let x4 = UnsafeRawPointer(row + j).loadUnaligned(as: SIMD4<Double>.self)
                        let w4 = UnsafeRawPointer(wp + j).loadUnaligned(as: SIMD4<Double>.self)
                        UnsafeMutableRawPointer(wp + j).storeBytes(of: w4 - etav * (gv * x4 + l2v * w4), as: SIMD4<Double>.self)
                        j += 4
                    }
                    while j < width { wp[j] -= eta * (g * row[j] + l2 * wp[j]); j += 1 }
                    if l1 > 0 {
                        let t = eta * l1
                        for j in 0 ..< width where row[j] != 0 { wp[j] = wp[j] > 0 ? max(0, wp[j] - t) : min(0, wp[j] + t) }
                    }
                    for k in s0 ..< s1 {
                        let s = Int(slots[k])
                        var nv = v[s] - eta * (g + l2 * v[s])
                        if l1 > 0 { nv = nv > 0 ? max(0, nv - eta * l1) : min(0, nv + eta * l1) }
                        v[s] = nv
                    }
                    bias -= eta * g
                }
            }
        }}}}}}}}
        self.bias = bias; self.biasAccumulator = biasAcc; self.steps = steps
    }

    /// One AdaGrad step over the dense weights for a row with gradient factor `g`: gⱼ = g·xⱼ + l2·wⱼ,
    /// Gⱼ += gⱼ², wⱼ −= rate·gⱼ / (√Gⱼ + ε). The portable form of `tideline_adagrad_dense_avx` (same operations in
    /// the same order, so both give the same bits; a test holds them to it).
    @inline(__always)
    static func adagradDense(_ wp: UnsafeMutablePointer<Double>, _ gp: UnsafeMutablePointer<Double>, _ row: UnsafePointer<Double>, _ width: Int,
                             g: Double, l2: Double, rate: Double, epsilon: Double) {
        var j = 0
        let gv = SIMD4<Double>(repeating: g), l2v = SIMD4<Double>(repeating: l2)
        let rv = SIMD4<Double>(repeating: rate), ev = SIMD4<Double>(repeating: epsilon)
        while j + 4 <= width {
            let x4 = UnsafeRawPointer(row + j).loadUnaligned(as: SIMD4<Double>.self)
            let w4 = UnsafeRawPointer(wp + j).loadUnaligned(as: SIMD4<Double>.self)
            let gj = gv * x4 + l2v * w4
            let acc = UnsafeRawPointer(gp + j).loadUnaligned(as: SIMD4<Double>.self) + gj * gj
            UnsafeMutableRawPointer(gp + j).storeBytes(of: acc, as: SIMD4<Double>.self)
            UnsafeMutableRawPointer(wp + j).storeBytes(of: w4 - rv * gj / (acc.squareRoot() + ev), as: SIMD4<Double>.self)
            j += 4
        }
        while j < width {
            let gj = g * row[j] + l2 * wp[j]
            let acc = gp[j] + gj * gj
            gp[j] = acc
            wp[j] -= rate * gj / (acc.squareRoot() + epsilon)
            j += 1
        }
    }

    private mutating func learnFTRL(_ batch: ExampleBatch, _ x: [Double], alpha: Double, beta: Double, _ progressive: inout [Double]) {
        let width = self.width, l1 = configuration.l1, l2 = configuration.l2
        let logistic = configuration.objective == .logistic, clip = configuration.clip
        var bias = self.bias, biasN = self.biasAccumulator, steps = self.steps
        var weights = [Double](repeating: 0, count: width)
        x.withUnsafeBufferPointer { xs in
        batch.targets.withUnsafeBufferPointer { ys in
        batch.sparse.withUnsafeBufferPointer { slots in
        batch.sparseStart.withUnsafeBufferPointer { starts in
        dense.withUnsafeMutableBufferPointer { Z in
        denseAccumulator.withUnsafeMutableBufferPointer { N in
        sparse.withUnsafeMutableBufferPointer { SZ in
        sparseAccumulator.withUnsafeMutableBufferPointer { SN in
        weights.withUnsafeMutableBufferPointer { W in
            for i in 0 ..< batch.count {
                let row = xs.baseAddress! + i * width
                for j in 0 ..< width { W[j] = Self.ftrlWeight(z: Z[j], n: N[j], alpha: alpha, beta: beta, l1: l1, l2: l2) }
                let bw = Self.ftrlWeight(z: bias, n: biasN, alpha: alpha, beta: beta, l1: 0, l2: 0)
                var z = bw + Self.dot(W.baseAddress!, row, width)
                let s0 = starts[i], s1 = starts[i + 1]
                for k in s0 ..< s1 {
                    let s = Int(slots[k])
                    z += Self.ftrlWeight(z: SZ[s], n: SN[s], alpha: alpha, beta: beta, l1: l1, l2: l2)
                }
                let p = logistic ? 1 / (1 + exp(-z)) : z
                progressive.append(p)
                let g = Self.gradient(p, ys[i], clip: clip)
                steps += 1
                for j in 0 ..< width {
                    let gj = g * row[j]
                    let n = N[j]
                    let sigma = ((n + gj * gj).squareRoot() - n.squareRoot()) / alpha
                    Z[j] += gj - sigma * W[j]
                    N[j] = n + gj * gj
                }
                for k in s0 ..< s1 {
                    let s = Int(slots[k])
                    let ws = Self.ftrlWeight(z: SZ[s], n: SN[s], alpha: alpha, beta: beta, l1: l1, l2: l2)
                    let n = SN[s]
                    let sigma = ((n + g * g).squareRoot() - n.squareRoot()) / alpha
                    SZ[s] += g - sigma * ws
                    SN[s] = n + g * g
                }
                let sigma = ((biasN + g * g).squareRoot() - biasN.squareRoot()) / alpha
                bias += g - sigma * bw
                biasN += g * g
            }
        }}}}}}}}}
        self.bias = bias; self.biasAccumulator = biasN; self.steps = steps
    }

    // MARK: Persistence

    enum CodingKeys: String, CodingKey {
        case configuration, width, hashBits = "hash_bits", scaler, steps, dense, denseAccumulator = "dense_accumulator"
        case sparseSlots = "sparse_slots", sparse, sparseAccumulator = "sparse_accumulator", bias, biasAccumulator = "bias_accumulator"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        configuration = try c.decode(Configuration.self, forKey: .configuration)
        width = try c.decode(Int.self, forKey: .width)
        hashBits = try c.decode(Int.self, forKey: .hashBits)
        scaler = try c.decode(RunningScaler.self, forKey: .scaler)
        steps = try c.decode(Int64.self, forKey: .steps)
        dense = try c.decode(PackedDoubles.self, forKey: .dense).values
        denseAccumulator = try c.decode(PackedDoubles.self, forKey: .denseAccumulator).values
        // Sparse weights are stored by slot: only the slots whose weight or accumulator is not +0.0.
        let slots = try c.decode(PackedSlots.self, forKey: .sparseSlots).values
        let values = try c.decode(PackedDoubles.self, forKey: .sparse).values
        let accumulators = try c.decode(PackedDoubles.self, forKey: .sparseAccumulator).values
        let bits = hashBits
        guard (1...30).contains(bits), values.count == slots.count, accumulators.count == slots.count,
              slots.allSatisfy({ Int($0) < 1 << bits }) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "linear model: sparse slots and values do not match hash_bits \(hashBits)"))
        }
        sparse = [Double](repeating: 0, count: 1 << hashBits)
        sparseAccumulator = [Double](repeating: 0, count: 1 << hashBits)
        for (i, slot) in slots.enumerated() { sparse[Int(slot)] = values[i]; sparseAccumulator[Int(slot)] = accumulators[i] }
        bias = try c.decode(PackedDoubles.self, forKey: .bias).values.first ?? 0
        biasAccumulator = try c.decode(PackedDoubles.self, forKey: .biasAccumulator).values.first ?? 0
        guard dense.count == width, denseAccumulator.count == width, sparse.count == 1 << hashBits, sparseAccumulator.count == 1 << hashBits,
              scaler.width == width else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "linear model: weight arrays do not match width \(width) and hash_bits \(hashBits)"))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(configuration, forKey: .configuration)
        try c.encode(width, forKey: .width)
        try c.encode(hashBits, forKey: .hashBits)
        try c.encode(scaler, forKey: .scaler)
        try c.encode(steps, forKey: .steps)
        try c.encode(PackedDoubles(dense), forKey: .dense)
        try c.encode(PackedDoubles(denseAccumulator), forKey: .denseAccumulator)
        var slots: [UInt32] = []
        for i in sparse.indices where sparse[i].bitPattern != 0 || sparseAccumulator[i].bitPattern != 0 { slots.append(UInt32(i)) }
        try c.encode(PackedSlots(slots), forKey: .sparseSlots)
        try c.encode(PackedDoubles(slots.map { sparse[Int($0)] }), forKey: .sparse)
        try c.encode(PackedDoubles(slots.map { sparseAccumulator[Int($0)] }), forKey: .sparseAccumulator)
        try c.encode(PackedDoubles([bias]), forKey: .bias)
        try c.encode(PackedDoubles([biasAccumulator]), forKey: .biasAccumulator)
    }

    public static func == (a: LinearModel, b: LinearModel) -> Bool {
        a.configuration == b.configuration && a.width == b.width && a.hashBits == b.hashBits && a.scaler == b.scaler && a.steps == b.steps
            && a.bias.bitPattern == b.bias.bitPattern && a.biasAccumulator.bitPattern == b.biasAccumulator.bitPattern
            && a.dense.map(\.bitPattern) == b.dense.map(\.bitPattern) && a.denseAccumulator.map(\.bitPattern) == b.denseAccumulator.map(\.bitPattern)
            && a.sparse.map(\.bitPattern) == b.sparse.map(\.bitPattern) && a.sparseAccumulator.map(\.bitPattern) == b.sparseAccumulator.map(\.bitPattern)
    }

    public func hash(into hasher: inout Hasher) { hasher.combine(steps); hasher.combine(bias.bitPattern) }
}
