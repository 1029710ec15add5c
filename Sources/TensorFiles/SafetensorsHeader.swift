/// Parsing and validation of a safetensors header, separate from the mapping so the rules read in one place.
enum SafetensorsHeader {
    struct Tensor {
        let name: String
        let info: TensorInfo
        /// Offsets relative to the data section.
        let begin: Int
        let end: Int
        var byteCount: Int { end - begin }
    }

    struct Parsed {
        let dataSectionOffset: Int
        let metadata: [String: String]
        /// Sorted by data offset.
        let tensors: [Tensor]
    }

    static func parse(_ bytes: UnsafeRawBufferPointer, path: String) throws(TensorFileError) -> Parsed {
        guard bytes.count >= 8 else {
            throw TensorFileError.truncated(
                file: path, what: "safetensors header length (first 8 bytes)", needed: 8, found: bytes.count)
        }
        let headerLength = LittleEndianReader(bytes: bytes).u64(0)
        guard headerLength <= UInt64(SafetensorsFile.maximumHeaderLength) else {
            throw TensorFileError.headerTooLarge(
                file: path, headerLength: headerLength, limit: SafetensorsFile.maximumHeaderLength)
        }
        guard headerLength <= UInt64(bytes.count - 8) else {
            throw TensorFileError.headerLengthBeyondFile(file: path, headerLength: headerLength, fileSize: bytes.count)
        }
        let dataSectionOffset = 8 + Int(headerLength)
        let headerBytes = UnsafeRawBufferPointer(rebasing: bytes[8..<dataSectionOffset])
        guard headerBytes.first == UInt8(ascii: "{") else {
            throw TensorFileError.invalidHeaderJSON(file: path, reason: "expected '{' as the first header byte")
        }
        let json: HeaderJSON
        do {
            json = try HeaderJSONParser.parse(headerBytes)
        } catch {
            throw TensorFileError.invalidHeaderJSON(file: path, reason: error.message)
        }
        guard case .object(let members) = json else {
            throw TensorFileError.invalidHeaderJSON(file: path, reason: "expected an object, found \(json.kindName)")
        }
        var metadata: [String: String] = [:]
        var tensors: [Tensor] = []
        for (key, value) in members {
            if key == "__metadata__" {
                metadata = try parseMetadata(value, path: path)
            } else {
                tensors.append(try parseTensor(key, value, path: path))
            }
        }
        tensors.sort { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
        try validateTiling(tensors, dataLength: bytes.count - dataSectionOffset, path: path)
        return Parsed(dataSectionOffset: dataSectionOffset, metadata: metadata, tensors: tensors)
    }

    private static func parseMetadata(_ value: HeaderJSON, path: String) throws(TensorFileError) -> [String: String] {
        guard case .object(let members) = value else {
            throw TensorFileError.invalidMetadata(file: path, reason: "found \(value.kindName)")
        }
        var metadata: [String: String] = [:]
        for (key, entry) in members {
            guard case .string(let text) = entry else {
                throw TensorFileError.invalidMetadata(file: path, reason: "key \"\(key)\" holds \(entry.kindName)")
            }
            metadata[key] = text
        }
        return metadata
    }

    private static func parseTensor(_ name: String, _ value: HeaderJSON, path: String) throws(TensorFileError) -> Tensor
    {
        func invalid(_ reason: String) -> TensorFileError {
            .invalidTensorEntry(file: path, tensor: name, reason: reason)
        }
        guard case .object(let members) = value else {
            throw invalid("expected an object with dtype, shape and data_offsets, found \(value.kindName)")
        }
        var dtypeValue: HeaderJSON?
        var shapeValue: HeaderJSON?
        var offsetsValue: HeaderJSON?
        for (key, field) in members {
            switch key {
            case "dtype": dtypeValue = field
            case "shape": shapeValue = field
            case "data_offsets": offsetsValue = field
            default: throw invalid("unexpected field \"\(key)\"; expected only dtype, shape and data_offsets")
            }
        }
        guard case .string(let dtypeName)? = dtypeValue else {
            throw invalid("field \"dtype\": expected a string, found \(dtypeValue?.kindName ?? "nothing")")
        }
        guard let dtype = DType(rawValue: dtypeName) else {
            throw TensorFileError.unknownDType(file: path, tensor: name, found: dtypeName)
        }
        guard case .array(let shapeItems)? = shapeValue else {
            throw invalid(
                "field \"shape\": expected an array of non-negative integers, found "
                    + (shapeValue?.kindName ?? "nothing"))
        }
        var shape: [Int] = []
        for item in shapeItems {
            guard let dimension = item.nonNegativeInt else {
                throw invalid("field \"shape\": expected non-negative integers, found \(item.kindName)")
            }
            shape.append(dimension)
        }
        guard case .array(let offsetItems)? = offsetsValue, offsetItems.count == 2,
            let begin = offsetItems[0].nonNegativeInt, let end = offsetItems[1].nonNegativeInt
        else {
            throw invalid(
                "field \"data_offsets\": expected [begin, end] with non-negative integers, found "
                    + (offsetsValue?.kindName ?? "nothing"))
        }
        guard begin <= end else {
            throw invalid("data_offsets [\(begin), \(end)] end before they begin")
        }
        guard checkedElementCount(shape, elementSize: dtype.byteSize) != nil else {
            throw invalid("shape \(shape) has more elements than fit in memory")
        }
        return Tensor(name: name, info: TensorInfo(dtype: dtype, shape: shape), begin: begin, end: end)
    }

    /// The reference's rule: in offset order every tensor starts exactly where the previous one ended, has the
    /// size its shape and dtype imply, and the last one ends at the end of the file.
    private static func validateTiling(_ tensors: [Tensor], dataLength: Int, path: String) throws(TensorFileError) {
        var previousEnd = 0
        var previousName: String?
        for tensor in tensors {
            if tensor.begin < previousEnd, let previousName {
                throw TensorFileError.offsetsOverlap(
                    file: path, tensor: tensor.name, previous: previousName, begin: tensor.begin,
                    previousEnd: previousEnd)
            }
            if tensor.begin > previousEnd {
                throw TensorFileError.offsetsGap(
                    file: path, tensor: tensor.name, begin: tensor.begin, previousEnd: previousEnd)
            }
            let expected = tensor.info.byteCount
            if tensor.byteCount != expected {
                throw TensorFileError.sizeMismatch(
                    file: path, tensor: tensor.name, expectedBytes: expected, foundBytes: tensor.byteCount)
            }
            if tensor.end > dataLength {
                throw TensorFileError.offsetsOutOfBounds(
                    file: path, tensor: tensor.name, begin: tensor.begin, end: tensor.end, dataLength: dataLength)
            }
            previousEnd = tensor.end
            previousName = tensor.name
        }
        if previousEnd != dataLength {
            throw TensorFileError.trailingData(file: path, dataEnd: previousEnd, dataLength: dataLength)
        }
    }
}
