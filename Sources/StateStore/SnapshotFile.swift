import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Whole-file reads and writes of snapshot bytes with the system calls, without an intermediate `Data`.
enum SnapshotFile {
    /// Writes `bytes` to a new file at `path` (it must not exist), synced to disk when `sync` is set.
    static func write(_ bytes: [UInt8], to path: String, sync: Bool) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw error("cannot create", path) }
        defer { close(fd) }
        try bytes.withUnsafeBytes { buffer in
            var done = 0
            while done < buffer.count {
                let n = Glibc.write(fd, buffer.baseAddress! + done, buffer.count - done)
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { throw error("cannot write", path) }
                done += n
            }
        }
        guard sync else { return }
        if fsync(fd) != 0 { throw error("cannot sync", path) }
        // The file's directory entry too, or a power loss could keep the data but lose the name.
        let directory = (path as NSString).deletingLastPathComponent
        let dirfd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard dirfd >= 0 else { throw error("cannot open", directory) }
        defer { close(dirfd) }
        if fsync(dirfd) != 0 { throw error("cannot sync", directory) }
    }

    /// The whole content of the file at `path`.
    static func read(_ path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw error("cannot open the checkpoint's snapshot file", path) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw error("cannot stat", path) }
        let size = Int(info.st_size)
        var failure: (any Error)?
        let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
            var done = 0
            while done < size {
                let n = Glibc.read(fd, buffer.baseAddress! + done, size - done)
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { failure = error("cannot read", path); break }
                done += n
            }
            count = done
        }
        if let failure { throw failure }
        return bytes
    }

    private static func error(_ what: String, _ path: String) -> SnapshotFileError {
        SnapshotFileError(description: "\(what) \(path): \(String(cString: strerror(errno)))")
    }
}

/// A snapshot file could not be written or read; the description names the file and the system's reason.
public struct SnapshotFileError: Error, CustomStringConvertible {
    public let description: String
}
