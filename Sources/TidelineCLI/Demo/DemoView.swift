import Foundation

/// The demo's terminal view: a line per thing that happens (drift, alert, model update) and a status line.
/// On a terminal the status line is redrawn in place under the event lines; otherwise (a pipe, a log file) it is
/// printed as a line of its own every `plainInterval`. Safe to call from any task.
final class DemoView: @unchecked Sendable {
    let interactive: Bool
    let plainInterval: Duration
    private let lock = NSLock()
    private var status = ""
    private var statusDrawn = false
    private var lastPlain: ContinuousClock.Instant?

    init(interactive: Bool = isatty(1) != 0, plainInterval: Duration = .seconds(5)) {
        self.interactive = interactive
        self.plainInterval = plainInterval
    }

    /// Prints `text` stamped with `at` (ms since the traffic started).
    func event(at: Int64, _ text: String) {
        lock.withLock {
            var out = interactive && statusDrawn ? "\r\u{1B}[2K" : ""
            out += "[\(Self.clock(at))] \(text)\n"
            if interactive && statusDrawn { out += status }
            write(out)
        }
    }

    /// Replaces the status line.
    func update(status text: String) {
        lock.withLock {
            status = text
            if interactive {
                write("\r\u{1B}[2K" + text)
                statusDrawn = true
            } else if lastPlain.map({ ContinuousClock.now - $0 >= plainInterval }) ?? true {
                lastPlain = .now
                write(text + "\n")
            }
        }
    }

    /// Ends the status line (before the summary).
    func finish() {
        lock.withLock {
            if interactive && statusDrawn { write("\n") }
            statusDrawn = false
        }
    }

    private func write(_ s: String) { FileHandle.standardOutput.write(Data(s.utf8)) }

    /// `mm:ss.s`.
    static func clock(_ ms: Int64) -> String {
        let t = max(0, ms)
        return String(format: "%02d:%04.1f", t / 60_000, Double(t % 60_000) / 1000)
    }

    /// A bar of `width` cells, `fraction` of them full.
    static func bar(_ fraction: Double, width: Int = 20) -> String {
        let full = Int((min(max(fraction, 0), 1) * Double(width)).rounded(.down))
        return String(repeating: "█", count: full) + String(repeating: "░", count: width - full)
    }
}
