import CRdKafka

/// An error from the Kafka layer, carrying librdkafka's code and text where there is one.
///
/// Errors are classified the way a caller needs to act on them (`Classification`):
/// retry the operation, abort the current transaction, or give up on the client.
public struct KafkaError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What a caller should do about an error.
    public enum Classification: String, Sendable {
        /// The client cannot continue (e.g. the idempotent producer lost its sequence); recreate it.
        case fatal
        /// The operation may succeed if tried again (timeouts, leader changes, a full queue).
        case retriable
        /// The current transaction must be aborted; the client stays usable.
        case abortable
        /// The request itself is wrong (bad config, unknown topic); retrying will not help.
        case permanent
    }

    /// librdkafka's `rd_kafka_resp_err_t` value, or 0 for errors raised by Tideline itself.
    public let code: Int32
    /// librdkafka's symbolic name for `code` (e.g. `_QUEUE_FULL`, `UNKNOWN_TOPIC_OR_PART`).
    public let name: String
    /// A human-readable explanation, including the operation that failed.
    public let message: String
    public let classification: Classification

    public init(code: Int32, name: String, message: String, classification: Classification) {
        self.code = code
        self.name = name
        self.message = message
        self.classification = classification
    }

    public var description: String {
        code == 0 ? "\(message)" : "\(message) [\(name) (\(code)), \(classification.rawValue)]"
    }

    /// An error raised by Tideline's own validation (no librdkafka code).
    public static func invalidArgument(_ message: String) -> KafkaError {
        KafkaError(code: 0, name: "INVALID_ARGUMENT", message: message, classification: .permanent)
    }

    static func from(_ err: rd_kafka_resp_err_t, _ context: String) -> KafkaError {
        let name = String(cString: rd_kafka_err2name(err))
        let text = String(cString: rd_kafka_err2str(err))
        return KafkaError(code: err.rawValue, name: name, message: "\(context): \(text)",
                          classification: Self.classify(err))
    }

    /// Builds an error from a librdkafka `rd_kafka_error_t`, taking ownership (it is destroyed).
    static func consuming(_ error: OpaquePointer, _ context: String) -> KafkaError {
        defer { rd_kafka_error_destroy(error) }
        let code = rd_kafka_error_code(error)
        let name = String(cString: rd_kafka_error_name(error))
        let text = String(cString: rd_kafka_error_string(error))
        let classification: Classification
        if rd_kafka_error_is_fatal(error) != 0 {
            classification = .fatal
        } else if rd_kafka_error_txn_requires_abort(error) != 0 {
            classification = .abortable
        } else if rd_kafka_error_is_retriable(error) != 0 {
            classification = .retriable
        } else {
            classification = Self.classify(code)
        }
        return KafkaError(code: code.rawValue, name: name, message: "\(context): \(text)", classification: classification)
    }

    static func classify(_ err: rd_kafka_resp_err_t) -> Classification {
        switch err {
        case RD_KAFKA_RESP_ERR__FATAL, RD_KAFKA_RESP_ERR__FENCED, RD_KAFKA_RESP_ERR_PRODUCER_FENCED,
             RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH, RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER,
             RD_KAFKA_RESP_ERR_UNSUPPORTED_FOR_MESSAGE_FORMAT, RD_KAFKA_RESP_ERR__SSL, RD_KAFKA_RESP_ERR__AUTHENTICATION,
             RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED:
            return .fatal
        case RD_KAFKA_RESP_ERR__QUEUE_FULL, RD_KAFKA_RESP_ERR__TIMED_OUT, RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT,
             RD_KAFKA_RESP_ERR__TRANSPORT, RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN, RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION,
             RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE, RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS,
             RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND, RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION,
             RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE, RD_KAFKA_RESP_ERR_NOT_COORDINATOR,
             RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS, RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS,
             RD_KAFKA_RESP_ERR__WAIT_COORD, RD_KAFKA_RESP_ERR__IN_PROGRESS, RD_KAFKA_RESP_ERR_KAFKA_STORAGE_ERROR:
            return .retriable
        case RD_KAFKA_RESP_ERR_INVALID_TXN_STATE, RD_KAFKA_RESP_ERR__STATE:
            return .abortable
        default:
            return .permanent
        }
    }
}
