import ArgumentParser
import Foundation

/// Secrets Encore makes once and keeps in a file only its user can read.
enum PrivateFile {
    /// Creates `path` with mode 0600 holding `contents`, synced to disk; throws if it exists.
    /// The file appears whole or not at all (written aside, then linked into place), so a
    /// process starting beside this one never reads it half-written.
    static func create(_ path: String, contents: String) throws {
        let aside = "\(path).\(getpid()).new"
        let fd = open(aside, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw ValidationError("cannot create \(aside): \(String(cString: strerror(errno)))") }
        defer { unlink(aside) }
        let written = write(fd, contents, contents.utf8.count) == contents.utf8.count && fsync(fd) == 0
        close(fd)
        guard written else { throw ValidationError("cannot write \(aside): \(String(cString: strerror(errno)))") }
        guard link(aside, path) == 0 else { throw ValidationError("cannot create \(path): \(String(cString: strerror(errno)))") }
    }
}
