/// A pickle virtual machine for the subset `torch.save` emits for a state_dict (protocol 2, plus the protocol 4
/// framing opcodes). It builds values, never calls anything: globals resolve to ``PickleGlobal`` cases, and
/// `REDUCE` is interpreted only for those cases with the argument shapes torch uses.
struct PickleInterpreter {
    private let bytes: UnsafeRawBufferPointer
    private let path: String
    private var position = 0
    private var opcodeStart = 0
    private var stack: [PickleValue] = []
    private var marks: [Int] = []
    private var memo: [Int: PickleValue] = [:]

    /// Runs the pickle to its STOP opcode and returns the object on top of the stack.
    static func run(_ bytes: UnsafeRawBufferPointer, path: String) throws(TensorFileError) -> PickleValue {
        var machine = PickleInterpreter(bytes: bytes, path: path)
        return try machine.run()
    }

    private init(bytes: UnsafeRawBufferPointer, path: String) {
        self.bytes = bytes
        self.path = path
    }

    private func malformed(_ reason: String) -> TensorFileError {
        .malformedPickle(file: path, reason: reason, position: opcodeStart)
    }

    private mutating func run() throws(TensorFileError) -> PickleValue {
        while true {
            opcodeStart = position
            let opcode = try readByte()
            switch opcode {
            case 0x80:  // PROTO
                let version = try readByte()
                guard version <= 5 else { throw malformed("protocol \(version) is newer than 5") }
            case 0x95:  // FRAME: a length prefix for buffering; the content is ordinary opcodes.
                _ = try readBytes(8)
            case UInt8(ascii: "."):  // STOP
                guard marks.isEmpty else { throw malformed("STOP with an open MARK") }
                guard stack.count == 1 else {
                    throw malformed("STOP with \(stack.count) values on the stack, expected 1")
                }
                return stack[0]
            case UInt8(ascii: "("): marks.append(stack.count)  // MARK
            case UInt8(ascii: "}"): stack.append(.dict(PickleDict()))  // EMPTY_DICT
            case UInt8(ascii: "]"): stack.append(.list(PickleList()))  // EMPTY_LIST
            case UInt8(ascii: ")"): stack.append(.tuple([]))  // EMPTY_TUPLE
            case UInt8(ascii: "N"): stack.append(.none)
            case 0x88: stack.append(.bool(true))  // NEWTRUE
            case 0x89: stack.append(.bool(false))  // NEWFALSE
            case UInt8(ascii: "K"): stack.append(.int(Int64(try readByte())))  // BININT1
            case UInt8(ascii: "M"): stack.append(.int(Int64(try readLittleEndian(2))))  // BININT2
            case UInt8(ascii: "J"):  // BININT
                stack.append(.int(Int64(Int32(truncatingIfNeeded: try readLittleEndian(4)))))
            case 0x8A: stack.append(.int(try readLong1()))  // LONG1
            case UInt8(ascii: "G"):  // BINFLOAT, big-endian
                let raw = try readBytes(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
                stack.append(.float(Double(bitPattern: raw)))
            case UInt8(ascii: "X"): stack.append(.string(try readString(length: Int(try readLittleEndian(4)))))
            case 0x8C: stack.append(.string(try readString(length: Int(try readByte()))))  // SHORT_BINUNICODE
            case UInt8(ascii: "q"): try memoize(at: Int(try readByte()))  // BINPUT
            case UInt8(ascii: "r"): try memoize(at: Int(try readLittleEndian(4)))  // LONG_BINPUT
            case 0x94: try memoize(at: memo.count)  // MEMOIZE
            case UInt8(ascii: "h"): try recall(Int(try readByte()))  // BINGET
            case UInt8(ascii: "j"): try recall(Int(try readLittleEndian(4)))  // LONG_BINGET
            case UInt8(ascii: "c"):  // GLOBAL
                let module = try readLine()
                let name = try readLine()
                stack.append(.global(try resolve(module: module, name: name)))
            case 0x93:  // STACK_GLOBAL
                guard case .string(let name) = try pop(), case .string(let module) = try pop() else {
                    throw malformed("STACK_GLOBAL expects two strings")
                }
                stack.append(.global(try resolve(module: module, name: name)))
            case UInt8(ascii: "t"): stack.append(.tuple(try popToMark()))  // TUPLE
            case 0x85: stack.append(.tuple(try popMany(1)))  // TUPLE1
            case 0x86: stack.append(.tuple(try popMany(2)))  // TUPLE2
            case 0x87: stack.append(.tuple(try popMany(3)))  // TUPLE3
            case UInt8(ascii: "a"):  // APPEND
                let item = try pop()
                try topList().items.append(item)
            case UInt8(ascii: "e"):  // APPENDS
                let items = try popToMark()
                try topList().items.append(contentsOf: items)
            case UInt8(ascii: "s"):  // SETITEM
                let value = try pop()
                let key = try pop()
                try topDict().set(key, value)
            case UInt8(ascii: "u"):  // SETITEMS
                let items = try popToMark()
                guard items.count % 2 == 0 else { throw malformed("SETITEMS with an odd number of values") }
                let dict = try topDict()
                for pair in stride(from: 0, to: items.count, by: 2) { dict.set(items[pair], items[pair + 1]) }
            case UInt8(ascii: "Q"):  // BINPERSID
                stack.append(.storage(try persistentLoad(try pop())))
            case UInt8(ascii: "R"):  // REDUCE
                guard case .tuple(let arguments) = try pop() else {
                    throw malformed("REDUCE arguments are not a tuple")
                }
                stack.append(try reduce(try pop(), arguments))
            case UInt8(ascii: "b"):  // BUILD
                let state = try pop()
                guard case .dict = try peek(), case .dict = state else {
                    throw malformed("BUILD is accepted only to set attributes (such as _metadata) on a dict")
                }
            // The state is the OrderedDict's __dict__ (torch's `_metadata` versions), which tensors don't need.
            case UInt8(ascii: "0"): _ = try pop()  // POP
            case UInt8(ascii: "1"): _ = try popToMark()  // POP_MARK
            case UInt8(ascii: "2"): stack.append(try peek())  // DUP
            default:
                throw TensorFileError.unsupportedPickleOpcode(file: path, opcode: opcode, position: opcodeStart)
            }
        }
    }

    // MARK: - Stream reading

    private mutating func readByte() throws(TensorFileError) -> UInt8 {
        guard position < bytes.count else { throw malformed("stream ends before STOP") }
        defer { position += 1 }
        return bytes[position]
    }

    private mutating func readBytes(_ count: Int) throws(TensorFileError) -> UnsafeRawBufferPointer {
        guard count >= 0, count <= bytes.count - position else {
            throw malformed("stream ends inside an argument of \(count) bytes")
        }
        defer { position += count }
        return UnsafeRawBufferPointer(rebasing: bytes[position..<(position + count)])
    }

    private mutating func readLittleEndian(_ count: Int) throws(TensorFileError) -> UInt64 {
        try readBytes(count).reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    }

    private mutating func readLong1() throws(TensorFileError) -> Int64 {
        let count = Int(try readByte())
        guard count <= 8 else { throw malformed("LONG1 of \(count) bytes does not fit in 64 bits") }
        if count == 0 { return 0 }
        let raw = try readLittleEndian(count)
        let shift = UInt64(64 - 8 * count)
        return Int64(bitPattern: raw << shift) >> Int64(shift)  // sign-extend the two's complement value
    }

    private mutating func readString(length: Int) throws(TensorFileError) -> String {
        guard let text = String(validating: try readBytes(length), as: UTF8.self) else {
            throw malformed("string is not valid UTF-8")
        }
        return text
    }

    private mutating func readLine() throws(TensorFileError) -> String {
        guard let newline = bytes[position...].firstIndex(of: 0x0A) else {
            throw malformed("stream ends inside a GLOBAL name (no newline)")
        }
        let line = try readString(length: newline - position)
        position += 1
        return line
    }

    // MARK: - Stack

    private mutating func pop() throws(TensorFileError) -> PickleValue {
        guard let value = stack.popLast(), stack.count >= (marks.last ?? 0) else {
            throw malformed("stack underflow")
        }
        return value
    }

    private func peek() throws(TensorFileError) -> PickleValue {
        guard let value = stack.last, stack.count > (marks.last ?? 0) else { throw malformed("stack underflow") }
        return value
    }

    private mutating func popMany(_ count: Int) throws(TensorFileError) -> [PickleValue] {
        guard stack.count - (marks.last ?? 0) >= count else { throw malformed("stack underflow") }
        defer { stack.removeLast(count) }
        return Array(stack.suffix(count))
    }

    private mutating func popToMark() throws(TensorFileError) -> [PickleValue] {
        guard let mark = marks.popLast() else { throw malformed("no MARK to pop to") }
        defer { stack.removeSubrange(mark...) }
        return Array(stack[mark...])
    }

    private func topList() throws(TensorFileError) -> PickleList {
        guard case .list(let list) = try peek() else { throw malformed("APPEND target is not a list") }
        return list
    }

    private func topDict() throws(TensorFileError) -> PickleDict {
        guard case .dict(let dict) = try peek() else { throw malformed("SETITEM target is not a dict") }
        return dict
    }

    private mutating func memoize(at index: Int) throws(TensorFileError) {
        memo[index] = try peek()
    }

    private mutating func recall(_ index: Int) throws(TensorFileError) {
        guard let value = memo[index] else { throw malformed("memo slot \(index) is empty") }
        stack.append(value)
    }

    // MARK: - Objects

    private func resolve(module: String, name: String) throws(TensorFileError) -> PickleGlobal {
        guard let global = PickleGlobal(module: module, name: name) else {
            throw TensorFileError.unsupportedPickleGlobal(
                file: path, global: "\(module).\(name)", position: opcodeStart)
        }
        return global
    }

    private func persistentLoad(_ id: PickleValue) throws(TensorFileError) -> PickleStorage {
        guard case .tuple(let fields) = id, fields.count == 5, case .string("storage") = fields[0],
            case .global(.storageType(let dtype)) = fields[1], case .string(let key) = fields[2],
            case .string(let location) = fields[3], case .int(let count) = fields[4], count >= 0
        else {
            throw malformed(
                "persistent id \(id.kindName) is not ('storage', torch.<Type>Storage, key, location, numel)")
        }
        return PickleStorage(dtype: dtype, key: key, location: location, elementCount: Int(count))
    }

    private func reduce(_ callable: PickleValue, _ arguments: [PickleValue]) throws(TensorFileError) -> PickleValue {
        guard case .global(let global) = callable else { throw malformed("REDUCE on \(callable.kindName)") }
        switch global {
        case .orderedDict:
            guard arguments.isEmpty else { throw malformed("OrderedDict called with arguments") }
            return .dict(PickleDict())
        case .rebuildTensorV2:
            // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
            guard arguments.count == 6 || arguments.count == 7, case .storage(let storage) = arguments[0],
                case .int(let offset) = arguments[1], offset >= 0,
                let shape = integers(arguments[2]), let strides = integers(arguments[3]), shape.count == strides.count,
                case .bool = arguments[4]
            else {
                throw malformed("_rebuild_tensor_v2 expects (storage, offset, size tuple, stride tuple, bool, hooks)")
            }
            return .tensor(PickleTensor(storage: storage, storageOffset: Int(offset), shape: shape, strides: strides))
        case .rebuildParameter:
            guard arguments.count == 3, case .tensor = arguments[0] else {
                throw malformed("_rebuild_parameter expects (tensor, requires_grad, hooks)")
            }
            return arguments[0]
        case .storageType:
            throw malformed("storage classes are accepted only inside persistent ids, not called")
        }
    }

    private func integers(_ value: PickleValue) -> [Int]? {
        guard case .tuple(let items) = value else { return nil }
        var result: [Int] = []
        for item in items {
            guard case .int(let number) = item else { return nil }
            result.append(Int(number))
        }
        return result
    }
}
