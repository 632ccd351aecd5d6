import Drift
import Foundation
import Statistics

/// A Hoeffding adaptive tree (Bifet & Gavaldà 2009) for binary classification: a `HoeffdingTree` whose split
/// nodes watch the error of the subtree below them with ADWIN. When a node's error rises significantly, an
/// alternate tree starts learning from the examples that reach the node; once it has seen
/// `driftWindowThreshold` examples it replaces the subtree if its error is lower by more than the bound
/// `sqrt(2·e·(1−e)·ln(2/switchSignificance)·(1/n_alt + 1/n_main))`, or is dropped if it is higher by as much
/// (River 0.26's `HoeffdingAdaptiveTreeClassifier` rule). With `bootstrapSampling`, each example is learned
/// Poisson(1) times, drawn from the seeded generator. Alternate trees are plain Hoeffding trees (River nests
/// adaptive ones); see README.
public struct HoeffdingAdaptiveTree: Sendable, Hashable, Codable {
    public struct Configuration: Sendable, Hashable, Codable {
        public var tree = HoeffdingTree.Configuration()
        public var driftWindowThreshold: Double = 300
        public var switchSignificance: Double = 0.05
        public var adwinDelta: Double = 0.002
        public var bootstrapSampling = true
        public var seed: UInt64 = 42
        public init() {}
    }

    struct Alternate: Sendable, Hashable, Codable {
        var tree: HoeffdingTree
        var errors: ADWIN
    }

    public let configuration: Configuration
    public private(set) var main: HoeffdingTree
    var detectors: [Int32: ADWIN] = [:]
    var alternates: [Int32: Alternate] = [:]
    var random: SplitMix64
    /// Subtrees replaced by their alternate so far.
    public private(set) var switches = 0

    public init(configuration: Configuration = Configuration(), width: Int) {
        self.configuration = configuration
        main = HoeffdingTree(configuration: configuration.tree, width: width)
        random = SplitMix64(seed: configuration.seed)
    }

    public var steps: Int64 { main.steps }
    public var isFinite: Bool { main.isFinite }
    public var width: Int { main.width }

    public func predict(_ batch: ExampleBatch, into out: inout [Double]) { main.predict(batch, into: &out) }

    private func newDetector() -> ADWIN {
        (try? ADWIN(delta: configuration.adwinDelta)) ?? (try! ADWIN())
    }

    /// Poisson(1) by inversion.
    private mutating func poisson1() -> Int {
        let u = Double(random.next() >> 11) * 0x1p-53
        var k = 0, p = 0.36787944117144233, cumulative = p
        while u > cumulative && k < 20 { k += 1; p /= Double(k); cumulative += p }
        return k
    }

    public mutating func learn(_ batch: ExampleBatch, progressive: inout [Double]) {
        progressive.removeAll(keepingCapacity: true)
        var path: [Int32] = []
        var single = ExampleBatch(width: batch.width, capacity: 1)
        var scratch: [Double] = []
        batch.dense.withUnsafeBufferPointer { x in
            for i in 0 ..< batch.count {
                let row = x.baseAddress! + i * batch.width
                let y = batch.targets[i] >= 0.5 ? 1.0 : 0.0
                main.route(row, path: &path)
                let leaf = main.leaves[Int(main.nodes[Int(path[path.count - 1])].leaf)]
                let p = main.score(leaf, row)
                progressive.append(p)
                let error: Double = (p > 0.5 ? 1 : 0) == y ? 0 : 1
                var replace: (Int32, HoeffdingTree)?
                for n in path.dropLast() {
                    var d = detectors[n] ?? newDetector()
                    let before = d.estimation
                    d.update(error)
                    if d.driftDetected && before < d.estimation && alternates[n] == nil {
                        alternates[n] = Alternate(tree: HoeffdingTree(configuration: configuration.tree, width: main.width), errors: newDetector())
                    }
                    detectors[n] = d
                    if var alt = alternates.removeValue(forKey: n) {
                        single.removeAll()
                        single.append(batch, row: i)
                        alt.tree.learn(single, progressive: &scratch)
                        alt.errors.update((scratch[0] > 0.5 ? 1 : 0) == y ? 0 : 1)
                        var keep = true
                        if Double(alt.tree.steps) >= configuration.driftWindowThreshold, replace == nil {
                            let old = d.estimation, new = alt.errors.estimation
                            let fn = 1 / Double(max(alt.errors.windowWidth, 1)) + 1 / Double(max(d.windowWidth, 1))
                            let bound = (2 * old * (1 - old) * log(2 / configuration.switchSignificance) * fn).squareRoot()
                            if bound < old - new { replace = (n, alt.tree); keep = false } else if bound < new - old { keep = false }
                        }
                        if keep { alternates[n] = alt }
                    }
                }
                let k = configuration.bootstrapSampling ? poisson1() : 1
                if k > 0 {
                    single.removeAll()
                    for _ in 0 ..< k { single.append(batch, row: i) }
                    main.learn(single, progressive: &scratch)
                }
                if let (n, subtree) = replace {
                    let mapping = main.graft(subtree, at: n)
                    detectors = Self.remap(detectors, mapping)
                    alternates = Self.remap(alternates, mapping)
                    switches += 1
                }
            }
        }
    }

    static func remap<V>(_ d: [Int32: V], _ mapping: [Int32: Int32]) -> [Int32: V] {
        var out: [Int32: V] = [:]
        for (k, v) in d { if let nk = mapping[k] { out[nk] = v } }
        return out
    }
}

extension HoeffdingTree {
    /// Replaces the subtree rooted at `node` by `subtree` (its root takes `node`'s place and depth) and compacts
    /// the arrays. Returns the new index of every surviving node of the old tree.
    mutating func graft(_ subtree: HoeffdingTree, at node: Int32) -> [Int32: Int32] {
        var newNodes: [Node] = []
        var newLeaves: [Leaf] = []
        var mapping: [Int32: Int32] = [:]
        func copy(_ tree: HoeffdingTree, _ index: Int32, depth: Int32, fromOld: Bool) -> Int32 {
            let at = Int32(newNodes.count)
            var n = tree.nodes[Int(index)]
            n.depth = depth
            newNodes.append(n)
            if fromOld { mapping[index] = at }
            if n.feature < 0 {
                newNodes[Int(at)].leaf = Int32(newLeaves.count)
                newLeaves.append(tree.leaves[Int(n.leaf)])
            } else {
                let l = copy(tree, n.left, depth: depth + 1, fromOld: fromOld)
                let r = copy(tree, n.right, depth: depth + 1, fromOld: fromOld)
                newNodes[Int(at)].left = l
                newNodes[Int(at)].right = r
            }
            return at
        }
        func walk(_ index: Int32, depth: Int32) -> Int32 {
            if index == node {
                let at = copy(subtree, 0, depth: depth, fromOld: false)
                newNodes[Int(at)].weight = nodes[Int(index)].weight
                return at
            }
            let at = Int32(newNodes.count)
            var n = nodes[Int(index)]
            n.depth = depth
            newNodes.append(n)
            mapping[index] = at
            if n.feature < 0 {
                newNodes[Int(at)].leaf = Int32(newLeaves.count)
                newLeaves.append(leaves[Int(n.leaf)])
            } else {
                let l = walk(n.left, depth: depth + 1)
                let r = walk(n.right, depth: depth + 1)
                newNodes[Int(at)].left = l
                newNodes[Int(at)].right = r
            }
            return at
        }
        _ = walk(0, depth: 0)
        nodes = newNodes
        leaves = newLeaves
        return mapping
    }
}

extension HoeffdingAdaptiveTree {
    enum CodingKeys: String, CodingKey { case configuration, main, detectors, alternates, random, switches }
    struct Keyed<V: Codable>: Codable { var node: Int32; var value: V }

    // Dictionaries are written sorted by node so that equal trees have equal bytes (checkpoint digests).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        configuration = try c.decode(Configuration.self, forKey: .configuration)
        main = try c.decode(HoeffdingTree.self, forKey: .main)
        random = try c.decode(SplitMix64.self, forKey: .random)
        switches = try c.decode(Int.self, forKey: .switches)
        for k in try c.decode([Keyed<ADWIN>].self, forKey: .detectors) { detectors[k.node] = k.value }
        for k in try c.decode([Keyed<Alternate>].self, forKey: .alternates) { alternates[k.node] = k.value }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(configuration, forKey: .configuration)
        try c.encode(main, forKey: .main)
        try c.encode(random, forKey: .random)
        try c.encode(switches, forKey: .switches)
        try c.encode(detectors.keys.sorted().map { Keyed(node: $0, value: detectors[$0]!) }, forKey: .detectors)
        try c.encode(alternates.keys.sorted().map { Keyed(node: $0, value: alternates[$0]!) }, forKey: .alternates)
    }
}
