import Foundation
import SEDDKernels

/// Makes sure the matrix libraries run their fast kernels, and sleep when idle, without the user
/// setting anything.
///
/// Both read their settings from the environment in library constructors, before `main`:
/// - Debian's OpenBLAS 0.3.21 misdetects recent Xeons and runs SSE3 kernels (5x slower) unless
///   `OPENBLAS_CORETYPE` is set;
/// - oneDNN's OpenMP runtime (libgomp) spins idle threads for a while after every parallel region
///   unless `OMP_WAIT_POLICY=passive`, and OpenBLAS's threads spin for ~0.1 s after every product
///   unless `OPENBLAS_THREAD_TIMEOUT` is lower; between requests that keeps a core busy for nothing,
///   and on a shared 2-core machine it steals time from the engine's own threads.
/// So when a variable is missing, `sedd` sets it and re-executes itself once. A user's own setting
/// always wins; `SEDD_NO_REEXEC=1` disables the re-exec.
enum CoreTypeLauncher {
    static func ensureTunedGEMM() {
        let env = ProcessInfo.processInfo.environment
        guard env["SEDD_NO_REEXEC"] == nil else { return }
        var missing: [(String, String)] = []
        if env["OPENBLAS_CORETYPE"] == nil, let core = GEMM.recommendedCoreType() { missing.append(("OPENBLAS_CORETYPE", core)) }
        for (name, value) in GEMM.recommendedEnvironment + OneDNN.recommendedEnvironment where env[name] == nil {
            missing.append((name, value))
        }
        guard !missing.isEmpty else { return }
        for (name, value) in missing { setenv(name, value, 1) }
        setenv("SEDD_NO_REEXEC", "1", 1)
        let args = CommandLine.arguments
        var cArgs: [UnsafeMutablePointer<CChar>?] = args.map { strdup($0) }
        cArgs.append(nil)
        execv("/proc/self/exe", &cArgs)
        // execv only returns on failure: carry on with the libraries' own defaults.
        unsetenv("SEDD_NO_REEXEC")
    }
}
