/// The element types a weight file may hold, named as the safetensors header spells them.
public enum DType: String, CaseIterable, Sendable {
    case f64 = "F64"
    case f32 = "F32"
    case f16 = "F16"
    case bf16 = "BF16"
    case i64 = "I64"
    case i32 = "I32"
    case i16 = "I16"
    case i8 = "I8"
    case u8 = "U8"
    case bool = "BOOL"

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .f64, .i64: return 8
        case .f32, .i32: return 4
        case .f16, .bf16, .i16: return 2
        case .i8, .u8, .bool: return 1
        }
    }

    /// True for the four floating-point types, which the float readers accept.
    public var isFloatingPoint: Bool {
        switch self {
        case .f64, .f32, .f16, .bf16: return true
        default: return false
        }
    }
}

/// What a tensor is: its element type and its shape (row-major, outermost dimension first).
public struct TensorInfo: Equatable, Sendable {
    public let dtype: DType
    public let shape: [Int]

    public init(dtype: DType, shape: [Int]) {
        self.dtype = dtype
        self.shape = shape
    }

    /// The product of the shape (1 for a scalar of shape `[]`).
    public var elementCount: Int { shape.reduce(1, *) }

    /// `elementCount * dtype.byteSize`.
    public var byteCount: Int { elementCount * dtype.byteSize }
}

/// Product of a shape with overflow detection; nil when it overflows or a dimension is negative.
func checkedElementCount(_ shape: [Int], elementSize: Int = 1) -> Int? {
    var total = elementSize
    for dimension in shape {
        guard dimension >= 0 else { return nil }
        let (product, overflow) = total.multipliedReportingOverflow(by: dimension)
        if overflow { return nil }
        total = product
    }
    return total
}
