import Foundation

/// A Hoeffding tree (VFDT, Domingos & Hulten 2000) for binary classification over the dense columns, with
/// River 0.26's `HoeffdingTreeClassifier` semantics: Gaussian attribute observers per class with `nSplits`
/// evenly spaced candidate thresholds, information gain with a minimum branch fraction, a split when the best
/// merit beats the second by the Hoeffding bound `sqrt(R² ln(1/δ) / 2n)` (R = 1 for two classes) or the bound
/// falls under `tau`, a null split for pre-pruning, leaves that stop growing when one class holds more than
/// `maxShareToSplit`, and naive-Bayes-adaptive leaf predictions. Missing values (NaN) are not observed; at a
/// split they follow the heavier branch. Categorical (hashed) features are not used by trees.
///
/// Nodes live in flat arrays (no references), so the tree is a value that copies, checkpoints and compares exactly.
public struct HoeffdingTree: Sendable, Hashable, Codable {
    public enum LeafPrediction: String, Sendable, Hashable, Codable, CaseIterable {
        case majorityClass = "mc", naiveBayes = "nb", naiveBayesAdaptive = "nba"
    }

    public struct Configuration: Sendable, Hashable, Codable {
        public var gracePeriod: Double = 200
        public var delta: Double = 1e-7
        public var tau: Double = 0.05
        public var leafPrediction: LeafPrediction = .naiveBayesAdaptive
        public var nSplits: Int = 10
        public var maxDepth: Int = 1_000
        public var minBranchFraction: Double = 0.01
        public var maxShareToSplit: Double = 0.99
        public init() {}
    }

    struct Node: Sendable, Hashable, Codable {
        var feature: Int32 = -1  // -1: a leaf
        var threshold: Double = 0
        var left: Int32 = -1
        var right: Int32 = -1
        var leaf: Int32 = -1
        var depth: Int32 = 0
        var weight: Double = 0
    }

    /// Per feature, per class: weight, mean, S (sum of weighted squared deviations), min, max.
    static let statsPerClass = 5
    static let placeholder = Leaf(width: 0)

    struct Leaf: Sendable, Hashable, Codable {
        var classWeight: [Double] = [0, 0]
        var present: [Bool] = [false, false]
        var active = true
        var lastSplitAttemptAt: Double = 0
        var mcCorrect: Double = 0
        var nbCorrect: Double = 0
        var observed: [Bool]
        var stats: PackedDoubles

        init(width: Int) {
            observed = Array(repeating: false, count: width)
            stats = PackedDoubles(Array(repeating: 0, count: width * 2 * HoeffdingTree.statsPerClass))
        }

        var totalWeight: Double { classWeight[0] + classWeight[1] }
    }

    public let configuration: Configuration
    public let width: Int
    var nodes: [Node] = [Node()]
    var leaves: [Leaf]
    public private(set) var steps: Int64 = 0

    public init(configuration: Configuration = Configuration(), width: Int) {
        self.configuration = configuration
        self.width = width
        nodes[0].leaf = 0
        leaves = [Leaf(width: width)]
    }

    public var nodeCount: Int { nodes.count }
    public var leafCount: Int { leaves.count }
    public var depth: Int { Int(nodes.map(\.depth).max() ?? 0) }
    public var isFinite: Bool { nodes.allSatisfy { $0.threshold.isFinite } }

    // MARK: Routing

    /// The path of node indices from the root to the leaf that `row` reaches.
    @inline(__always)
    func route(_ row: UnsafePointer<Double>, path: inout [Int32]) {
        var n: Int32 = 0
        path.removeAll(keepingCapacity: true)
        path.append(0)
        while true {
            let node = nodes[Int(n)]
            if node.feature < 0 { return }
            let v = row[Int(node.feature)]
            if v.isNaN {
                n = nodes[Int(node.left)].weight < nodes[Int(node.right)].weight ? node.right : node.left
            } else {
                n = v <= node.threshold ? node.left : node.right
            }
            path.append(n)
        }
    }

    @inline(__always)
    func leafIndex(_ row: UnsafePointer<Double>) -> Int {
        var n = 0
        while true {
            let node = nodes[n]
            if node.feature < 0 { return Int(node.leaf) }
            let v = row[Int(node.feature)]
            if v.isNaN {
                n = Int(nodes[Int(node.left)].weight < nodes[Int(node.right)].weight ? node.right : node.left)
            } else {
                n = Int(v <= node.threshold ? node.left : node.right)
            }
        }
    }

    // MARK: Prediction

    static let halfLogTau = 0.5 * log(2 * Double.pi)

    /// P(class 1) from a leaf's naive Bayes model, or nil when the leaf has no class weight.
    func naiveBayes(_ leaf: Leaf, _ row: UnsafePointer<Double>) -> Double? {
        let total = leaf.totalWeight
        guard total > 0, leaf.present[0] || leaf.present[1] else { return nil }
        var votes = SIMD2<Double>()
        leaf.stats.values.withUnsafeBufferPointer { s in
            for c in 0 ..< 2 where leaf.present[c] {
                let cw = leaf.classWeight[c]
                guard cw > 0 else { votes[c] = 0; continue }
                var v = log(cw / total)
                for f in 0 ..< width where leaf.observed[f] {
                    let x = row[f]
                    if x.isNaN { continue }
                    let o = (f * 2 + c) * Self.statsPerClass
                    let n = s[o]
                    guard n > 1 else { continue }
                    let variance = s[o + 2] / (n - 1)
                    guard variance > 0 else { continue }
                    let d = x - s[o + 1]
                    v += d * d / (-2 * variance) - Self.halfLogTau - 0.5 * log(variance)
                }
                votes[c] = v
            }
        }
        if !leaf.present[0] { return 1 }
        if !leaf.present[1] { return 0 }
        let m = max(votes[0], votes[1])
        let e0 = exp(votes[0] - m), e1 = exp(votes[1] - m)
        return e1 / (e0 + e1)
    }

    func majority(_ leaf: Leaf) -> Double {
        let total = leaf.totalWeight
        return total > 0 ? leaf.classWeight[1] / total : 0.5
    }

    func score(_ leaf: Leaf, _ row: UnsafePointer<Double>) -> Double {
        switch configuration.leafPrediction {
        case .majorityClass: return majority(leaf)
        case .naiveBayes: return leaf.active ? (naiveBayes(leaf, row) ?? majority(leaf)) : majority(leaf)
        case .naiveBayesAdaptive:
            return leaf.active && leaf.nbCorrect >= leaf.mcCorrect ? (naiveBayes(leaf, row) ?? majority(leaf)) : majority(leaf)
        }
    }

    /// P(class 1) for every row of `batch`.
    public func predict(_ batch: ExampleBatch, into out: inout [Double]) {
        out.removeAll(keepingCapacity: true)
        batch.dense.withUnsafeBufferPointer { x in
            for i in 0 ..< batch.count {
                let row = x.baseAddress! + i * batch.width
                out.append(score(leaves[leafIndex(row)], row))
            }
        }
    }

    // MARK: Learning

    /// Learns the rows of `batch` in order (targets 0 or 1); `progressive[i]` is row i's score before learning it.
    public mutating func learn(_ batch: ExampleBatch, progressive: inout [Double]) {
        progressive.removeAll(keepingCapacity: true)
        var path: [Int32] = []
        batch.dense.withUnsafeBufferPointer { x in
            for i in 0 ..< batch.count {
                let row = x.baseAddress! + i * batch.width
                progressive.append(learnOne(row, y: batch.targets[i] >= 0.5 ? 1 : 0, path: &path))
            }
        }
    }

    private mutating func learnOne(_ row: UnsafePointer<Double>, y: Int, path: inout [Int32]) -> Double {
        steps += 1
        route(row, path: &path)
        for n in path { nodes[Int(n)].weight += 1 }
        let nodeIndex = Int(path[path.count - 1])
        let li = Int(nodes[nodeIndex].leaf)
        var leaf = leaves[li]
        leaves[li] = Self.placeholder  // take the leaf out so the update does not copy its statistics
        let p = score(leaf, row)
        if leaf.active && configuration.leafPrediction == .naiveBayesAdaptive {
            let total = leaf.totalWeight
            let mcClass = leaf.classWeight[1] > leaf.classWeight[0] ? 1 : 0
            if total == 0 && !(leaf.present[0] || leaf.present[1]) || mcClass == y { leaf.mcCorrect += 1 }
            if let nb = naiveBayes(leaf, row), (nb > 0.5 ? 1 : 0) == y { leaf.nbCorrect += 1 }
        }
        leaf.classWeight[y] += 1
        leaf.present[y] = true
        if leaf.active {
            let width = self.width
            leaf.stats.values.withUnsafeMutableBufferPointer { s in
                for f in 0 ..< width {
                    leaf.observed[f] = true
                    let x = row[f]
                    if x.isNaN { continue }
                    let o = (f * 2 + y) * Self.statsPerClass
                    let n = s[o] + 1
                    let old = s[o + 1]
                    let mean = old + (x - old) / n
                    s[o] = n
                    s[o + 1] = mean
                    s[o + 2] += (x - old) * (x - mean)
                    if n == 1 { s[o + 3] = x; s[o + 4] = x } else {
                        if x < s[o + 3] { s[o + 3] = x }
                        if x > s[o + 4] { s[o + 4] = x }
                    }
                }
            }
        }
        leaves[li] = leaf
        if leaf.active {
            if nodes[nodeIndex].depth >= configuration.maxDepth {
                leaves[li].active = false
            } else if leaf.totalWeight - leaf.lastSplitAttemptAt >= configuration.gracePeriod {
                attemptSplit(node: nodeIndex)
                if nodes[nodeIndex].feature < 0 { leaves[li].lastSplitAttemptAt = leaves[li].totalWeight }
            }
        }
        return p
    }

    struct Suggestion {
        var merit: Double
        var feature: Int
        var threshold: Double
        var children: [[Double]]  // [left, right] class weights
        var present: [[Bool]]
    }

    static func entropy(_ d: [Double]) -> Double {
        var e = 0.0, sum = 0.0
        for v in d where v > 0 { e -= v * log2(v); sum += v }
        return sum > 0 ? (e + sum * log2(sum)) / sum : 0
    }

    func merit(pre: [Double], post: [[Double]]) -> Double {
        let sums = post.map { $0.reduce(0, +) }
        let total = sums.reduce(0, +)
        var greater = 0
        if total > 0 { for s in sums where s / total > configuration.minBranchFraction { greater += 1 } }
        if greater < 2 { return -.infinity }
        var post_entropy = 0.0
        for (i, d) in post.enumerated() { post_entropy += sums[i] * Self.entropy(d) }
        return Self.entropy(pre) - post_entropy / total
    }

    static func normalCDF(_ x: Double) -> Double { 0.5 * (1 + erf(x / 2.0.squareRoot())) }

    func bestSuggestion(_ leaf: Leaf, feature f: Int) -> Suggestion? {
        let s = leaf.stats.values
        var lo = Double.infinity, hi = -Double.infinity
        for c in 0 ..< 2 {
            let o = (f * 2 + c) * Self.statsPerClass
            guard s[o] > 0 else { continue }
            lo = min(lo, s[o + 3]); hi = max(hi, s[o + 4])
        }
        guard lo < .infinity else { return nil }
        let bin = (hi - lo) / (Double(configuration.nSplits) + 1)
        var best: Suggestion?
        for i in 0 ..< configuration.nSplits {
            let split = lo + bin * Double(i + 1)
            guard lo < split && split < hi else { continue }
            var left = [0.0, 0.0], right = [0.0, 0.0]
            var lp = [false, false], rp = [false, false]
            for c in 0 ..< 2 {
                let o = (f * 2 + c) * Self.statsPerClass
                let n = s[o]
                guard n > 0 else { continue }
                if split < s[o + 3] { right[c] = n; rp[c] = true } else if split >= s[o + 4] { left[c] = n; lp[c] = true } else {
                    let variance = n > 1 ? s[o + 2] / (n - 1) : 0
                    let sigma = variance.squareRoot()
                    let cdf = sigma > 0 ? Self.normalCDF((split - s[o + 1]) / sigma) : 0
                    left[c] = cdf * n; right[c] = n - left[c]; lp[c] = true; rp[c] = true
                }
            }
            let m = merit(pre: leaf.classWeight, post: [left, right])
            if m > (best?.merit ?? -.infinity) {
                best = Suggestion(merit: m, feature: f, threshold: split, children: [left, right], present: [lp, rp])
            }
        }
        return best
    }

    private mutating func attemptSplit(node nodeIndex: Int) {
        let li = Int(nodes[nodeIndex].leaf)
        let leaf = leaves[li]
        let nonzero = leaf.classWeight.filter { $0 != 0 }.count
        guard nonzero >= 2 else { return }
        let total = leaf.totalWeight
        if let maj = leaf.classWeight.max(), maj > 0, maj / total > configuration.maxShareToSplit {
            leaves[li].active = false  // River: only the null split is offered, and it wins
            return
        }
        // Candidates: the null split first (merit -inf), then each observed feature's best, in feature order;
        // a stable sort by merit keeps River's tie order.
        var suggestions: [Suggestion?] = [nil]
        for f in 0 ..< width where leaf.observed[f] { suggestions.append(bestSuggestion(leaf, feature: f)) }
        let merits = suggestions.map { $0?.merit ?? -.infinity }
        let order = merits.indices.sorted { merits[$0] < merits[$1] || (merits[$0] == merits[$1] && $0 < $1) }
        let bestIndex = order[order.count - 1], secondIndex = order[order.count - 2]
        let bound = (log(1 / configuration.delta) / (2 * total)).squareRoot()  // R = log2(2) = 1
        guard merits[bestIndex] - merits[secondIndex] > bound || bound < configuration.tau else { return }
        guard let best = suggestions[bestIndex] else {
            leaves[li].active = false  // pre-pruning: the null split won
            return
        }
        let depth = nodes[nodeIndex].depth + 1
        var children: [Int32] = []
        for side in 0 ..< 2 {
            var child = Leaf(width: width)
            child.classWeight = best.children[side]
            child.present = best.present[side]
            child.lastSplitAttemptAt = child.totalWeight
            let leafSlot: Int
            if side == 0 { leafSlot = li; leaves[li] = child } else { leafSlot = leaves.count; leaves.append(child) }
            var node = Node()
            node.leaf = Int32(leafSlot)
            node.depth = depth
            node.weight = child.totalWeight
            children.append(Int32(nodes.count))
            nodes.append(node)
        }
        nodes[nodeIndex].feature = Int32(best.feature)
        nodes[nodeIndex].threshold = best.threshold
        nodes[nodeIndex].left = children[0]
        nodes[nodeIndex].right = children[1]
        nodes[nodeIndex].leaf = -1
    }
}
