public import Foundation

/// Runs programs (the `tideline` binary, kcat) as subprocesses for end-to-end tests.
public enum Subprocess {
    public struct Result: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    /// The `tideline` binary built beside the running test bundle.
    public static var tidelineBinary: URL {
        let dir = URL(fileURLWithPath: ProcessInfo.processInfo.arguments[0]).deletingLastPathComponent()
        var candidate = dir.appendingPathComponent("tideline")
        if !FileManager.default.isExecutableFile(atPath: candidate.path) {
            // swift-testing may run from the .xctest bundle's Contents directory.
            candidate = dir.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("tideline")
        }
        return candidate
    }

    /// Starts `tideline` with `arguments` in the background, appending its stdout and stderr to `log`
    /// (created if missing). The caller stops it (`kill`, `terminate`) and waits for it.
    public static func startTideline(_ arguments: [String], appendingOutputTo log: URL) throws -> Process {
        let process = Process()
        process.executableURL = tidelineBinary
        process.arguments = arguments
        if !FileManager.default.fileExists(atPath: log.path) { _ = FileManager.default.createFile(atPath: log.path, contents: nil) }
        let handle = try FileHandle(forWritingTo: log)
        handle.seekToEndOfFile()
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        return process
    }

    /// Looks a program up on PATH.
    public static func which(_ name: String) -> URL? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let url = URL(fileURLWithPath: String(dir)).appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        return nil
    }

    /// Runs to completion (or kills after `timeout`) and returns the exit status and output.
    public static func run(_ executable: URL, _ arguments: [String], stdin: Data? = nil, timeout: Duration = .seconds(60)) async throws -> Result {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(stdin) }
        try input.fileHandleForWriting.close()
        // Reading a pipe to its end blocks for as long as the child runs: on dispatch threads, never on Swift's
        // cooperative pool (2 threads on a 2-core machine: two long subprocesses would stall every other test).
        let pipes = Unchecked((out, err))
        async let o = offThePool { (try? pipes.value.0.fileHandleForReading.readToEnd()) ?? Data() }
        async let e = offThePool { (try? pipes.value.1.fileHandleForReading.readToEnd()) ?? Data() }
        let deadline = ContinuousClock.now + timeout
        while process.isRunning && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        if process.isRunning { process.terminate() }
        await waitForExit(process)
        let (stdout, stderr) = await (o, e)
        return Result(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self))
    }

    /// Waits for `process` to exit without holding a cooperative thread.
    public static func waitForExit(_ process: Process) async {
        let box = Unchecked(process)
        await offThePool { box.value.waitUntilExit() }
    }

    private static let blockingQueue = DispatchQueue(label: "tideline.testkit.subprocess", attributes: .concurrent)

    /// Runs a blocking call on a dispatch thread and awaits its result.
    static func offThePool<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in blockingQueue.async { continuation.resume(returning: body()) } }
    }

    /// Foundation's `Process` and `Pipe` are not `Sendable`; each is used by one blocking call at a time here.
    struct Unchecked<Value>: @unchecked Sendable {
        let value: Value
        init(_ value: Value) { self.value = value }
    }
}

/// `tideline broker` running as a subprocess, with the bootstrap address it printed.
public final class BrokerProcess: @unchecked Sendable {
    public let process: Process
    /// `bootstrap.servers` as printed by the broker.
    public let bootstrapServers: String
    /// All `key=value` lines the broker printed at start.
    public let info: [String: String]

    public init(arguments: [String] = []) async throws {
        process = Process()
        process.executableURL = Subprocess.tidelineBinary
        process.arguments = ["broker"] + arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        var text = ""
        let handle = Subprocess.Unchecked(out.fileHandleForReading)
        let deadline = ContinuousClock.now + .seconds(120)
        while !text.contains("topics=") && ContinuousClock.now < deadline && process.isRunning {
            // `availableData` blocks until the broker prints: on a dispatch thread, not the cooperative pool.
            let chunk = await Subprocess.offThePool { handle.value.availableData }
            if chunk.isEmpty { try await Task.sleep(for: .milliseconds(20)) } else { text += String(decoding: chunk, as: UTF8.self) }
        }
        var info: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1)
            if parts.count == 2 { info[String(parts[0])] = String(parts[1]) }
        }
        guard let bootstrap = info["bootstrap.servers"] else {
            process.terminate()
            throw NSError(domain: "BrokerProcess", code: 1, userInfo: [NSLocalizedDescriptionKey: "tideline broker printed no bootstrap address: \(text)"])
        }
        self.info = info
        self.bootstrapServers = bootstrap
    }

    /// Sends SIGTERM and returns the exit status.
    public func terminate() -> Int32 {
        process.terminate()
        process.waitUntilExit()
        return process.terminationStatus
    }

    deinit { if process.isRunning { process.terminate() } }
}
