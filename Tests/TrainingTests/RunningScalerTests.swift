import Foundation
import Statistics
import Testing
@testable import Training

@Suite struct RunningScalerTests {
    /// Batches merged one at a time give the mean and population variance of all present values per column, with
    /// missing values (NaN) skipped; six columns cover both the four-wide path and the scalar tail.
    @Test func mergedBatchesMatchTwoPassStatisticsWithMissingValues() {
        let width = 6
        var rng = SplitMix64(seed: 11)
        var rows: [[Double]] = []
        for i in 0 ..< 700 {
            rows.append((0 ..< width).map { j in (i + j) % 9 == 0 ? .nan : Double(j) * 3 + rng.unit() * Double(j + 1) })
        }
        var scaler = RunningScaler(width: width)
        for chunk in stride(from: 0, to: rows.count, by: 256) {
            var batch = ExampleBatch(width: width)
            for row in rows[chunk ..< min(chunk + 256, rows.count)] { batch.append(dense: row, sparse: [UInt32](), target: 0) }
            scaler.update(batch)
        }
        for j in 0 ..< width {
            let present = rows.map { $0[j] }.filter { !$0.isNaN }
            let mean = present.reduce(0, +) / Double(present.count)
            let variance = present.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(present.count)
            #expect(scaler.counts[j] == Double(present.count))
            #expect(abs(scaler.means[j] - mean) < 1e-12 * max(1, abs(mean)))
            #expect(abs(scaler.squares[j] / scaler.counts[j] - variance) < 1e-10 * max(1, variance))
        }
    }

    /// A column group without missing values takes the unmasked passes, and a group with one takes the masked
    /// passes; both give, bit for bit, the plain two-pass statistics of the present values (same sums in row order).
    @Test func unmaskedAndMaskedColumnGroupsGiveTheSameBitsAsAPlainTwoPass() {
        let width = 8  // two groups of four: the first has no missing value, the second has one
        var rng = SplitMix64(seed: 12)
        var batch = ExampleBatch(width: width)
        var rows: [[Double]] = []
        for i in 0 ..< 300 {
            let row = (0 ..< width).map { j in j == 6 && i == 17 ? .nan : rng.gaussian() * Double(j + 1) + Double(j) }
            rows.append(row)
            batch.append(dense: row, sparse: [UInt32](), target: 0)
        }
        var scaler = RunningScaler(width: width)
        scaler.update(batch)
        for j in 0 ..< width {
            var n = 0.0, sum = 0.0
            for row in rows where !row[j].isNaN { n += 1; sum += row[j] }
            let mean = sum / n
            var squares = 0.0
            for row in rows where !row[j].isNaN { squares += (row[j] - mean) * (row[j] - mean) }
            #expect(scaler.counts[j] == n, "column \(j)")
            #expect(scaler.means[j].bitPattern == mean.bitPattern, "column \(j)")
            #expect(scaler.squares[j].bitPattern == squares.bitPattern, "column \(j)")
        }
        #expect(scaler.counts[6] == 299 && scaler.counts[0] == 300)
    }

    /// `transform` standardizes every column with the running statistics and writes 0 for a missing value.
    @Test func transformStandardizesAndZeroesMissingValues() {
        var batch = ExampleBatch(width: 5)
        batch.append(dense: [1, 2, 3, 4, 5], sparse: [UInt32](), target: 0)
        batch.append(dense: [3, .nan, 5, 8, 7], sparse: [UInt32](), target: 1)
        batch.append(dense: [5, 6, .nan, 12, 9], sparse: [UInt32](), target: 0)
        var scaler = RunningScaler(width: 5)
        scaler.update(batch)
        var out: [Double] = []
        scaler.transform(batch, into: &out)
        #expect(out.count == 15)
        for i in 0 ..< 3 {
            for j in 0 ..< 5 {
                let v = batch.dense[i * 5 + j]
                let expected = v.isNaN ? 0 : (v - scaler.means[j]) * scaler.inverseScale(j)
                #expect(out[i * 5 + j] == expected)
            }
        }
        #expect(out[5 + 1] == 0 && out[10 + 2] == 0)
        #expect(abs(out[0] - (1 - 3) / (8.0 / 3).squareRoot()) < 1e-12)  // column 0: mean 3, population variance 8/3
    }
}
