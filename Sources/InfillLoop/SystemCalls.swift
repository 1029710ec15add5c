#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Writes every byte to a blocking or non-blocking descriptor (EINTR retried, EAGAIN waits in poll).
/// - Returns: `nil` on success, else the errno of the first real failure.
func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Int32? {
    var offset = 0
    while offset < bytes.count {
        let written = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
        if written >= 0 {
            offset += written
            continue
        }
        let code = errno
        if code == EINTR { continue }
        if code == EAGAIN || code == EWOULDBLOCK {
            var descriptor = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            _ = poll(&descriptor, 1, -1)
            continue
        }
        return code
    }
    return nil
}

/// Gives a descriptor back when its endpoint closes. Descriptors 0, 1 and 2 are never left closed: the
/// process's stdio numbers would be reused by the next socket or file and stray output would land there.
/// They are pointed at /dev/null instead (dup2 swaps atomically), which also lets the peer see end of file.
func releaseDescriptor(_ fd: Int32, alreadyClosed: Bool) {
    if fd > 2 {
        if !alreadyClosed { close(fd) }
        return
    }
    let null = open("/dev/null", O_RDWR | O_CLOEXEC)
    guard null >= 0 else { return }
    while dup2(null, fd) < 0 && errno == EINTR {}
    if null != fd { close(null) }
}
