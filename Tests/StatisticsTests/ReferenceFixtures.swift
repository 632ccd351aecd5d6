import Foundation
import TidelineTestKit

/// `Fixtures/scipy_reference.json`, written by `Benchmarks/peers/drift_reference.py` with scipy.
struct ScipyReference: Decodable {
    struct SampleSpec: Decodable {
        let seed: UInt64, kind: String, n: Int, scale: Int, shift: Int
        var values: [Double] { SyntheticSamples.sample(seed: seed, kind: kind, count: n, scale: scale, shift: shift) }
    }
    struct KSCase: Decodable { let a: SampleSpec, b: SampleSpec, method: String, statistic: Double, p_value: Double }
    struct KSTwoCase: Decodable { let n: Int, x: Double, sf: Double }
    struct CategoricalCase: Decodable {
        let reference: [Double], current: [Double], chi2: Double, p_value: Double, dof: Int, js_distance_base2: Double
    }
    struct ChiSquareCase: Decodable { let x: Double, k: Double, sf: Double }
    struct ContinuousCase: Decodable {
        let a: SampleSpec, b: SampleSpec
        let wasserstein: Double, mean: Double, variance: Double, skewness: Double, kurtosis: Double, min: Double, max: Double
    }
    struct FDRCase: Decodable { let p_values: [Double], bh_adjusted: [Double] }

    let ks_2samp: [KSCase]
    let kstwo_sf: [KSTwoCase]
    let categorical: [CategoricalCase]
    let chi2_sf: [ChiSquareCase]
    let continuous: [ContinuousCase]
    let fdr: FDRCase

    static let shared: ScipyReference = {
        let url = Bundle.module.url(forResource: "Fixtures/scipy_reference", withExtension: "json")!
        return try! JSONDecoder().decode(ScipyReference.self, from: Data(contentsOf: url))
    }()
}
