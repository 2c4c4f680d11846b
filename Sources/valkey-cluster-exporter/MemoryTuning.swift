/// glibc's `mallopt`, which Swift's Glibc module does not export.
@_silgen_name("mallopt")
private func mallopt(_ parameter: Int32, _ value: Int32) -> Int32

/// glibc malloc settings for a process that builds a few multi-megabyte buffers per cycle.
///
/// The exposition is ~6.7 MB per format and is rebuilt every cycle. With glibc's defaults the mmap
/// threshold grows after the first large free, so later buffers come from the heap and their pages stay
/// resident after release; and every thread may get its own arena. The cycle benchmark (`make bench`)
/// measured 110-150 MB resident after 100 cycles without these settings. A fixed threshold hands the
/// exposition buffers back to the kernel when they are freed, and two arenas are plenty for a process with
/// two event-loop threads.
///
/// The threshold sits above what one cycle needs per node: a primary's SLOT-STATS reply (~600 KB for 5461
/// slots, accumulated in a buffer that grows to 1 MiB) and the 16384-slot tables. Below it those come from
/// the heap and are reused by the next cycle; at 256 KB each was a fresh mapping whose page faults cost ~2 ms
/// of CPU per cycle, a quarter of the exporter's work inside the cycle (perf, 6-node cluster). The trim
/// threshold keeps that much free memory at the top of the heap instead of returning it between cycles
/// (glibc's 128 KB default would give it back, and fault it in again, every cycle).
enum MemoryTuning {
    /// `M_TRIM_THRESHOLD`, `M_MMAP_THRESHOLD` and `M_ARENA_MAX` from glibc's malloc.h (macros, not imported).
    private static let trimThresholdParameter: Int32 = -1
    private static let mmapThresholdParameter: Int32 = -3
    private static let arenaMaxParameter: Int32 = -8

    static let mmapThreshold: Int32 = 2 * 1024 * 1024
    static let trimThreshold: Int32 = 4 * 1024 * 1024

    static func apply() {
        #if os(Linux)
        _ = mallopt(mmapThresholdParameter, mmapThreshold)
        _ = mallopt(trimThresholdParameter, trimThreshold)
        _ = mallopt(arenaMaxParameter, 2)
        #endif
    }
}
