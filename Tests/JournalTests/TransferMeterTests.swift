import Foundation
import Locking
import Testing

@testable import Journal

/// Progress of a copy whose partitions are counted from many tasks at once.
@Suite("Transfer progress")
struct TransferMeterTests {
    @Test("reports arrive in counting order and the last one is the final state, however the partitions interleave")
    func ordered() async {
        let reports = Locked<[Int64]>([])
        let partitions = 13
        let meter = TransferMeter(total: Int64(partitions * 200)) { progress in
            // The first report is slow to draw: the other partitions finish meanwhile, and
            // their final report must still come after it.
            if progress.done == 1 { usleep(50_000) }
            reports.withLock { $0.append(progress.done) }
        }
        await withDiscardingTaskGroup { group in
            for _ in 0..<partitions {
                group.addTask {
                    for _ in 0..<200 { meter.add(1) }
                }
            }
        }
        let seen = reports.withLock { $0 }
        #expect(seen.last == Int64(partitions * 200), "the last report is the whole copy: \(seen.suffix(3))")
        #expect(seen == seen.sorted(), "no report of fewer records follows a later one: \(seen)")
    }
}
