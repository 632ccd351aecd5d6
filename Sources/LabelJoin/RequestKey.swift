/// A request id's 64-bit `StableHash`: what the join looks a request up by.
///
/// Computing it is separate from processing so that a caller can compute it once, early (the join stage does it
/// while decoding, on all cores), and use it twice: to hint the operator a few events ahead
/// (`LabelJoinOperator.prefetch(_:)`) and to process the event (`process(_:key:recordTimestamp:into:)`).
public struct RequestKey: Hashable, Sendable {
    /// `StableHash.hash` of the request id's UTF-8 bytes.
    let hash: UInt64

    /// The key of `requestID`.
    public init(requestID: String) {
        self.init(hash: StableHash.hash(requestID))
    }

    init(hash: UInt64) { self.hash = hash }

    /// The 32 bits the operator's index and entries keep (`StableHash.indexKey`).
    var indexKey: UInt32 { StableHash.indexKey(hash) }
}
