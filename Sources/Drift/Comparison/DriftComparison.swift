import Statistics

/// Compares a current window with a reference window, feature by feature: KS (with PSI and Wasserstein
/// reported) for numeric features, chi-square (with Jensen–Shannon) for categorical ones, multiple-testing
/// control across all tested subjects, the policy's effect floors, and schema checks. Pure; thread-safe.
public enum DriftComparison {
    /// Compares `current` with `reference`. The prediction is compared with `predictionReference` when given (the
    /// reference of the model version now serving, where features keep an older one), else with
    /// `reference.predictions`; `includePrediction: false` leaves it out (no reference for this version yet).
    public static func compare(reference: FeatureWindow, current: FeatureWindow, predictionReference: FeatureStatistics? = nil,
                               includePrediction: Bool = true, policy: DriftPolicy = DriftPolicy()) -> DriftReport {
        var rows: [DriftReport.Row] = []
        var schema: [DriftReport.SchemaFinding] = []
        let referenceFeatures = reference.features, currentFeatures = current.features  // built once, not per name
        let names = Set(referenceFeatures.keys).union(currentFeatures.keys).sorted()
        // Numeric subjects wait for their merge walks, which then run two at a time.
        var walks: [(row: Int, reference: [Double], current: [Double])] = []
        func add(_ subject: String, _ r: FeatureStatistics, _ c: FeatureStatistics) {
            guard let (row, samples) = prepare(subject, r, c, policy) else { return }
            rows.append(row)
            if let samples { walks.append((rows.count - 1, samples.reference, samples.current)) }
        }
        for name in names {
            let r = referenceFeatures[name], c = currentFeatures[name]
            schema += schemaFindings(name, r, c, reference.count, current.count, policy)
            if let r, let c { add(name, r, c) }
        }
        if includePrediction { add("prediction", predictionReference ?? reference.predictions, current.predictions) }
        var k = 0
        while k + 1 < walks.count {
            let (first, second) = KolmogorovSmirnov.testSortedWithWasserstein(
                (walks[k].reference, walks[k].current), (walks[k + 1].reference, walks[k + 1].current), method: policy.ksMethod)
            complete(&rows[walks[k].row], first, walks[k].reference, walks[k].current, policy)
            complete(&rows[walks[k + 1].row], second, walks[k + 1].reference, walks[k + 1].current, policy)
            k += 2
        }
        if k < walks.count {
            let one = KolmogorovSmirnov.testSortedWithWasserstein(walks[k].reference, walks[k].current, method: policy.ksMethod)
            complete(&rows[walks[k].row], one, walks[k].reference, walks[k].current, policy)
        }
        // Multiple-testing control over the rows actually tested.
        let tested = rows.indices.filter { rows[$0].verdict != .insufficient }
        let adjusted: [Double]
        switch policy.correction {
        case .none: adjusted = tested.map { rows[$0].pValue }
        case .bonferroni: adjusted = MultipleTesting.bonferroni(tested.map { rows[$0].pValue })
        case .benjaminiHochberg: adjusted = MultipleTesting.benjaminiHochberg(tested.map { rows[$0].pValue })
        }
        for (k, i) in tested.enumerated() {
            rows[i].adjustedPValue = adjusted[k]
            rows[i].verdict = adjusted[k] < policy.alpha && rows[i].effect >= rows[i].effectThreshold ? .drift : .stable
        }
        return DriftReport(rows: rows, schema: schema, referenceEvents: reference.count, currentEvents: current.count)
    }

    /// Tests one subject's statistics (unadjusted: `adjustedPValue` is the raw p-value, the verdict uses it).
    public static func compare(subject: String, reference r: FeatureStatistics, current c: FeatureStatistics, policy: DriftPolicy) -> DriftReport.Row? {
        guard var row = test(subject, r, c, policy) else { return nil }
        if row.verdict != .insufficient {
            row.verdict = row.pValue < policy.alpha && row.effect >= row.effectThreshold ? .drift : .stable
        }
        return row
    }

    static func test(_ name: String, _ r: FeatureStatistics, _ c: FeatureStatistics, _ policy: DriftPolicy) -> DriftReport.Row? {
        guard let prepared = prepare(name, r, c, policy) else { return nil }
        var row = prepared.row
        if let (sa, sb) = prepared.samples {
            complete(&row, KolmogorovSmirnov.testSortedWithWasserstein(sa, sb, method: policy.ksMethod), sa, sb, policy)
        }
        return row
    }

    /// A numeric row's statistics from its merge walk (KS and Wasserstein) and the sorted samples.
    static func complete(_ row: inout DriftReport.Row, _ walk: (test: KolmogorovSmirnov.Result, wasserstein: Double),
                         _ sa: [Double], _ sb: [Double], _ policy: DriftPolicy) {
        let ks = walk.test
        row.statistic = ks.statistic
        row.pValue = ks.pValue
        row.effect = ks.statistic
        row.psi = ContinuousTests.populationStabilityIndex(sortedReference: sa, sortedCurrent: sb, bins: policy.psiBins)
        row.wasserstein = walk.wasserstein
        // Means and spread from the sorted samples: the same whatever order the values arrived in.
        row.referenceMean = sum(sa) / Double(sa.count)
        row.currentMean = sum(sb) / Double(sb.count)
        row.referenceStandardDeviation = (sumOfSquares(sa, around: row.referenceMean!) / Double(max(sa.count - 1, 1))).squareRoot()
        row.verdict = .stable
        row.detail = "largest CDF gap at \(format(ks.location)) (current values \(ks.sign > 0 ? "higher" : "lower"))"
    }

    /// The row for one subject: complete for a categorical one; for a numeric one with enough values, waiting
    /// for `complete` with the sorted samples returned (each sorted once; a reference window's once for all windows).
    static func prepare(_ name: String, _ r: FeatureStatistics, _ c: FeatureStatistics, _ policy: DriftPolicy)
        -> (row: DriftReport.Row, samples: (reference: [Double], current: [Double])?)? {
        if r.valued == 0 && c.valued == 0 { return nil }
        if r.isNumeric {
            let referenceMoments = r.moments  // folds the pending batch: once, not per field
            let row = DriftReport.Row(
                subject: name, type: "numeric", test: "ks", statistic: 0, pValue: 1, adjustedPValue: 1, effect: 0,
                effectThreshold: policy.minimumKS, verdict: .insufficient, referenceCount: r.numbers, currentCount: c.numbers,
                psi: nil, wasserstein: nil, referenceMean: referenceMoments.mean, currentMean: c.numbers > 0 ? c.moments.mean : nil,
                referenceStandardDeviation: referenceMoments.standardDeviation, unseenShare: nil, detail: "")
            guard r.sample.count >= policy.minimumSamples && c.sample.count >= policy.minimumSamples else { return (row, nil) }
            return (row, (r.sample.sortedValues, c.sample.sortedValues))
        }
        let rCategories = r.categories, cCategories = c.categories  // built once, not per category
        let categories = Set(rCategories.keys).union(cCategories.keys).sorted()
        let rc = categories.map { Double(rCategories[$0] ?? 0) }, cc = categories.map { Double(cCategories[$0] ?? 0) }
        let rTotal = rc.reduce(0, +), cTotal = cc.reduce(0, +)
        var unseen = 0.0
        for (k, cat) in categories.enumerated() where rCategories[cat] == nil { unseen += cc[k] }
        var row = DriftReport.Row(
            subject: name, type: "categorical", test: "chi2", statistic: 0, pValue: 1, adjustedPValue: 1, effect: 0,
            effectThreshold: policy.minimumJensenShannon, verdict: .insufficient, referenceCount: Int(rTotal), currentCount: Int(cTotal),
            psi: nil, wasserstein: nil, referenceMean: nil, currentMean: nil, referenceStandardDeviation: nil,
            unseenShare: cTotal > 0 ? unseen / cTotal : nil, detail: "")
        guard rTotal >= Double(policy.minimumSamples) && cTotal >= Double(policy.minimumSamples) else { return (row, nil) }
        let chi = CategoricalTests.chiSquare(reference: rc, current: cc)
        row.statistic = chi.statistic
        row.pValue = chi.pValue
        row.effect = CategoricalTests.jensenShannonDistance(reference: rc, current: cc)
        row.verdict = .stable
        // The category whose share moved most.
        var best = (name: "", delta: 0.0, from: 0.0, to: 0.0)
        for k in categories.indices {
            let from = rc[k] / rTotal, to = cc[k] / cTotal
            if abs(to - from) > abs(best.delta) { best = (categories[k], to - from, from, to) }
        }
        if !best.name.isEmpty { row.detail = "\"\(best.name)\" moved from \(percent(best.from)) to \(percent(best.to)) of values" }
        return (row, nil)
    }

    /// Σ xs in four interleaved lanes (the additions of one lane do not wait for the others): deterministic for a
    /// given array, which is sorted here.
    static func sum(_ xs: [Double]) -> Double {
        xs.withUnsafeBufferPointer { x in
            var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
            var i = 0
            while i + 4 <= x.count { s0 += x[i]; s1 += x[i + 1]; s2 += x[i + 2]; s3 += x[i + 3]; i += 4 }
            while i < x.count { s0 += x[i]; i += 1 }
            return (s0 + s1) + (s2 + s3)
        }
    }

    /// Σ (x − m)² in four interleaved lanes.
    static func sumOfSquares(_ xs: [Double], around m: Double) -> Double {
        xs.withUnsafeBufferPointer { x in
            var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
            var i = 0
            while i + 4 <= x.count {
                let d0 = x[i] - m, d1 = x[i + 1] - m, d2 = x[i + 2] - m, d3 = x[i + 3] - m
                s0 += d0 * d0; s1 += d1 * d1; s2 += d2 * d2; s3 += d3 * d3
                i += 4
            }
            while i < x.count { let d = x[i] - m; s0 += d * d; i += 1 }
            return (s0 + s1) + (s2 + s3)
        }
    }

    static func schemaFindings(_ name: String, _ r: FeatureStatistics?, _ c: FeatureStatistics?, _ rEvents: Int, _ cEvents: Int,
                               _ policy: DriftPolicy) -> [DriftReport.SchemaFinding] {
        var out: [DriftReport.SchemaFinding] = []
        let rPresence = rEvents > 0 ? Double(r?.present ?? 0) / Double(rEvents) : 0
        let cPresence = cEvents > 0 ? Double(c?.present ?? 0) / Double(cEvents) : 0
        if rPresence >= policy.expectedPresence && cEvents > 0 && cPresence < policy.missingBelow {
            out.append(.init(subject: name, problem: .missing, value: cPresence, threshold: policy.missingBelow,
                             detail: "present in \(percent(cPresence)) of events, was \(percent(rPresence))"))
        }
        if (r == nil || r!.present == 0) && cPresence >= policy.newAbove {
            out.append(.init(subject: name, problem: .new, value: cPresence, threshold: policy.newAbove,
                             detail: "new feature, present in \(percent(cPresence)) of events"))
        }
        guard let r, let c, r.present > 0, c.present > 0 else { return out }
        if r.valued > 0 && c.valued > 0 && r.dominantType != c.dominantType {
            out.append(.init(subject: name, problem: .typeChanged, value: 1, threshold: 1,
                             detail: "values are mostly \(c.dominantType), were \(r.dominantType)"))
        }
        let rNull = Double(r.nulls) / Double(r.present), cNull = Double(c.nulls) / Double(c.present)
        if cNull - rNull >= policy.nullRateIncrease {
            out.append(.init(subject: name, problem: .nullRate, value: cNull - rNull, threshold: policy.nullRateIncrease,
                             detail: "null in \(percent(cNull)) of events, was \(percent(rNull))"))
        }
        let cCategories = c.categories
        if !r.isNumeric && !cCategories.isEmpty {
            let rCategories = r.categories
            let total = cCategories.values.reduce(0, +)
            let unseen = cCategories.filter { rCategories[$0.key] == nil }
            let share = Double(unseen.values.reduce(0, +)) / Double(max(total, 1))
            if share >= policy.unseenCategoryShare {
                let examples = unseen.sorted { $0.value > $1.value }.prefix(3).map { "\"\($0.key)\"" }.joined(separator: ", ")
                out.append(.init(subject: name, problem: .unseenCategories, value: share, threshold: policy.unseenCategoryShare,
                                 detail: "\(percent(share)) of values are categories the reference never had (\(examples))"))
            }
        }
        return out
    }

    static func percent(_ x: Double) -> String {
        let v = (x * 1000).rounded() / 10
        return "\(v)%"
    }

    static func format(_ x: Double) -> String {
        if x == x.rounded() && abs(x) < 1e15 { return String(Int64(x)) }
        let s = String(x)
        return s.count > 10 ? String((x * 1e4).rounded() / 1e4) : s
    }
}
