import Foundation
import SEDDKernels

/// Makes sure OpenBLAS runs its fast kernels without the user setting anything.
///
/// Debian's OpenBLAS 0.3.21 misdetects recent Xeons and runs SSE3 kernels (5x slower) unless
/// `OPENBLAS_CORETYPE` is in the environment when the library loads, which is before `main`. So when
/// the variable is unset and the processor wants one, `sedd` re-executes itself once with it set.
/// A user's own setting always wins; `SEDD_NO_REEXEC=1` disables the re-exec.
enum CoreTypeLauncher {
    static func ensureTunedGEMM() {
        let env = ProcessInfo.processInfo.environment
        guard env["OPENBLAS_CORETYPE"] == nil, env["SEDD_NO_REEXEC"] == nil,
            let core = GEMM.recommendedCoreType()
        else { return }
        setenv("OPENBLAS_CORETYPE", core, 1)
        setenv("SEDD_NO_REEXEC", "1", 1)
        let args = CommandLine.arguments
        var cArgs: [UnsafeMutablePointer<CChar>?] = args.map { strdup($0) }
        cArgs.append(nil)
        execv("/proc/self/exe", &cArgs)
        // execv only returns on failure: carry on with the library's own detection.
        unsetenv("SEDD_NO_REEXEC")
    }
}
