/// glibc's `mallopt`, which Swift's Glibc module does not export.
@_silgen_name("mallopt")
private func mallopt(_ parameter: Int32, _ value: Int32) -> Int32

/// glibc malloc settings for a process that builds a few multi-megabyte buffers per cycle.
///
/// The exposition is ~6.7 MB per format and is rebuilt every cycle. With glibc's defaults the mmap
/// threshold grows after the first large free, so later buffers come from the heap and their pages stay
/// resident after release; and every thread may get its own arena. The cycle benchmark (`make bench`)
/// measured 110-150 MB resident after 100 cycles without these settings. A fixed 256 KB threshold hands
/// large buffers back to the kernel when they are freed, and two arenas are plenty for a process with two
/// event-loop threads.
enum MemoryTuning {
    /// `M_MMAP_THRESHOLD` and `M_ARENA_MAX` from glibc's malloc.h (not imported: they are macros).
    private static let mmapThreshold: Int32 = -3
    private static let arenaMax: Int32 = -8

    static func apply() {
        #if os(Linux)
        _ = mallopt(mmapThreshold, 256 * 1024)
        _ = mallopt(arenaMax, 2)
        #endif
    }
}
