#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A value behind a lock: `Synchronization.Mutex`'s `withLock`, over a pthread mutex.
///
/// Why not `Mutex`: on Linux it locks with futex calls inside the (uninstrumented) standard
/// library, so ThreadSanitizer cannot see it and reports every access it guards as a race.
/// ThreadSanitizer intercepts pthread mutexes, so `scripts/sanitize thread` sees these locks.
public final class Locked<Value>: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    /// Accessed only with `mutex` held. Out of line rather than a stored property: TSan placed the
    /// exclusivity access of an empty `Value` (`Locked<Void>`) at the object's header, and reported
    /// every retain of the box by another thread as racing with it.
    private let value: UnsafeMutablePointer<Value>

    public init(_ value: consuming sending Value) {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        let status = pthread_mutex_init(mutex, nil)
        precondition(status == 0, "pthread_mutex_init failed: \(status)")
        self.value = .allocate(capacity: 1)
        self.value.initialize(to: value)
    }

    deinit {
        value.deinitialize(count: 1)
        value.deallocate()
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// Runs `body` with exclusive access to the value.
    public func withLock<Result, Failure: Error>(_ body: (inout sending Value) throws(Failure) -> sending Result) throws(Failure)
        -> sending Result
    {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value.pointee)
    }
}
