#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What `stat` says about a file, enough to notice that it was rewritten or replaced (renamed over) without
/// reading it: device and inode change on a replace, size and modification/change times on a rewrite.
struct FileStamp: Equatable, Sendable {
    var device: UInt64
    var inode: UInt64
    var size: Int64
    var modified: Int128
    var changed: Int128

    /// The stamp of `path`, or nil when it cannot be stat'ed (missing, no permission).
    init?(path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
        size = Int64(info.st_size)
        #if canImport(Darwin)
        modified = Int128(info.st_mtimespec.tv_sec) * 1_000_000_000 + Int128(info.st_mtimespec.tv_nsec)
        changed = Int128(info.st_ctimespec.tv_sec) * 1_000_000_000 + Int128(info.st_ctimespec.tv_nsec)
        #else
        modified = Int128(info.st_mtim.tv_sec) * 1_000_000_000 + Int128(info.st_mtim.tv_nsec)
        changed = Int128(info.st_ctim.tv_sec) * 1_000_000_000 + Int128(info.st_ctim.tv_nsec)
        #endif
    }

    /// Stamps of several files, nil entries for those that cannot be stat'ed.
    static func of(_ paths: [String]) -> [FileStamp?] { paths.map { FileStamp(path: $0) } }
}
