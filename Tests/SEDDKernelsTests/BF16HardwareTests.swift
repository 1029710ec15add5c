import XCTest

@testable import SEDDKernels

/// Which processors get bf16 by default: those that multiply bf16 in hardware, read from cpuinfo.
final class BF16HardwareTests: XCTestCase {
    private func cpuinfo(_ flags: String) -> String {
        "processor\t: 0\nvendor_id\t: AuthenticAMD\nflags\t\t: fpu sse2 avx2 fma \(flags)\nbugs\t\t: sysret_ss_attrs\n"
    }

    func testAMXTilesOrAVX512BF16CountAndNeighbouringFlagsDoNot() {
        XCTAssertTrue(OneDNN.processorMultipliesBF16(cpuinfo: cpuinfo("avx512f amx_bf16 amx_tile amx_int8")))
        XCTAssertTrue(OneDNN.processorMultipliesBF16(cpuinfo: cpuinfo("avx512f avx512_bf16 avx512_vnni")))
        XCTAssertFalse(OneDNN.processorMultipliesBF16(cpuinfo: cpuinfo("avx512f avx512_vnni amx_int8")))
        XCTAssertFalse(OneDNN.processorMultipliesBF16(cpuinfo: cpuinfo("amx_bf16")), "tiles need amx_tile too")
        XCTAssertFalse(OneDNN.processorMultipliesBF16(cpuinfo: cpuinfo("avx2_bf16_like")))
    }

    func testNoCPUInfoMeansNo() {
        XCTAssertFalse(OneDNN.processorMultipliesBF16(cpuinfo: nil))
        XCTAssertFalse(OneDNN.processorMultipliesBF16(cpuinfo: "processor\t: 0\n"))
    }
}
