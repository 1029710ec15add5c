import CLibUV

/// Turns descriptors handed over from outside (stdin/stdout, or a pipe or file in tests) into connection
/// endpoints, choosing by what the descriptor is: `uv_pipe_open` works for pipes, FIFOs and Unix
/// sockets but refuses regular files, which are read with `uv_fs_read` and written with plain `write`.
enum DescriptorAttachment {
    enum Nature: Equatable {
        case stream(StreamEndpoint.Flavor)
        case file
    }

    static func nature(of fd: Int32) throws(LoopError) -> Nature {
        let type = uv_guess_handle(uv_file(fd))
        switch type {
        case UV_TTY: return .stream(.tty)
        case UV_NAMED_PIPE: return .stream(.pipe)
        case UV_TCP: return .stream(.tcp)
        case UV_FILE: return .file
        case UV_UDP: throw .unsupportedDescriptor(fd: fd, type: "UDP socket")
        default: throw .unsupportedDescriptor(fd: fd, type: "descriptor that is not open or of an unknown type")
        }
    }

    /// Builds the source and sink for a connection over `readFD` and `writeFD`; one stream endpoint when
    /// both are the same socket-like descriptor.
    static func endpoints(core: LoopCore, readFD: Int32, writeFD: Int32) throws(LoopError)
        -> (source: ConnectionEndpoint, sink: ConnectionEndpoint)
    {
        let readNature = try nature(of: readFD)
        let writeNature = try nature(of: writeFD)
        if readFD == writeFD, case .stream(let flavor) = readNature {
            let both = try StreamEndpoint.open(core: core, descriptor: readFD, flavor: flavor, readable: true)
            return (both, both)
        }
        let source: ConnectionEndpoint
        switch readNature {
        case .stream(let flavor):
            source = try StreamEndpoint.open(core: core, descriptor: readFD, flavor: flavor, readable: true)
        case .file:
            source = RegularFileReader(core: core, descriptor: readFD, ownsDescriptor: true)
        }
        do {
            switch writeNature {
            case .stream(let flavor):
                return (
                    source, try StreamEndpoint.open(core: core, descriptor: writeFD, flavor: flavor, readable: false)
                )
            case .file:
                let sink = RegularFileWriter(core: core, descriptor: writeFD, ownsDescriptor: readFD != writeFD)
                return (source, sink)
            }
        } catch {
            source.closeEndpoint()
            throw error
        }
    }
}
