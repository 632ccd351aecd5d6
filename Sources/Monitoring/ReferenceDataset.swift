public import Events
import Foundation
import Statistics

/// Why a reference dataset could not be read: the file, the line, and what was wrong.
public struct ReferenceDatasetError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

extension PredictionWindow {
    /// Builds a window from a JSON Lines file of prediction events or bare feature objects: a stored snapshot
    /// to use as a model's reference (`reference: snapshot`), or a dataset for `tideline drift compare`.
    /// Prediction events contribute their prediction, version, item and confidence too; values are sampled by a
    /// hash of the request id (of the line number for bare objects), as in live windows.
    public static func load(path: String, sampleCapacity: Int = 10_000, limits: EventLimits = .default) throws -> PredictionWindow {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ReferenceDatasetError("\(path): cannot read the file")
        }
        var window = PredictionWindow(start: 0, end: 0, sampleCapacity: sampleCapacity)
        var lineNumber = 0
        var first = Int64.max, last = Int64.min
        for line in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            let bytes = Array(line)
            if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
            if let p = try? PredictionEvent.decode(bytes, limits: limits) {
                let t = p.timestamp.milliseconds
                first = min(first, t); last = max(last, t)
                window.add(p, hash: HyperLogLog.hash(p.requestID))
                continue
            }
            do {
                let features = try FeatureVector.decode(object: bytes, limits: limits)
                window.features.add(features, prediction: nil, eventTime: 0, hash: HyperLogLog.mix(UInt64(lineNumber) &* 0x9E37_79B9_7F4A_7C15))
            } catch {
                throw ReferenceDatasetError("\(path):\(lineNumber): neither a prediction event nor an object of features: \(error)")
            }
        }
        guard window.count > 0 else { throw ReferenceDatasetError("\(path): no records") }
        if first <= last { window.start = first; window.end = last + 1 }
        return window
    }
}
