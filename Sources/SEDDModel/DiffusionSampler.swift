import SEDDKernels

/// Positions held fixed during sampling (prefix, suffix, anything outside the holes), per batch row.
public struct FixedTokens: Sendable {
    public var positions: [Int]
    public var tokens: [Int]
    public init(positions: [Int], tokens: [Int]) {
        precondition(positions.count == tokens.count, "one token per fixed position")
        self.positions = positions
        self.tokens = tokens
    }
    public static let none = FixedTokens(positions: [], tokens: [])
}

/// Options of one sampling run (the reference's `get_pc_sampler`).
public struct SamplingOptions: Sendable {
    public var steps: Int
    public var predictor: Predictor
    public var denoise: Bool
    public var eps: Double
    /// 1 is the reference's sampler; lower values send each moving position to its likelier
    /// destinations (`StepTemperature`), 0 to the most likely one.
    public var temperature: Double
    /// Which masked positions a step reveals (absorbing graph only; other graphs move as the reference).
    public var unmasking: Unmasking
    /// Every how many passes the context is computed in full (`ContextCache`): 1, every pass (the
    /// reference); k > 1, the passes between run only the positions that can change, against the
    /// context's keys and values of the last full pass (absorbing graph, fused bf16 path only).
    public var contextRefresh: Int
    /// What requests and configs may ask for (a refresh period beyond the step limit is "never").
    public static let contextRefreshRange = 1...1024
    public init(
        steps: Int, predictor: Predictor = .analytic, denoise: Bool = true, eps: Double = 1e-5, temperature: Double = 1,
        unmasking: Unmasking = .random, contextRefresh: Int = 1
    ) {
        precondition(Self.contextRefreshRange.contains(contextRefresh), "contextRefresh must be in \(Self.contextRefreshRange)")
        self.steps = steps
        self.contextRefresh = contextRefresh
        self.temperature = temperature
        self.unmasking = unmasking
        self.predictor = predictor
        self.denoise = denoise
        self.eps = eps
    }
}

/// The reference's PC sampler with conditional projection: x starts at the limit distribution, the
/// projection writes the fixed tokens before every predictor step, before the denoiser and once at
/// the end (spec 6.3), so any set of positions can be held and several holes fill in one run.
///
/// Randomness: batch row b draws from its own seed `seeds[b]`, and each (step, position) gets its own
/// stream derived from it, so a row's sample does not depend on the thread count or on which other
/// rows share its batch.
public final class DiffusionSampler {
    public let core: SamplerCore

    public init(network: SEDDNetwork) { core = SamplerCore(network: network) }

    /// Samples `ws.batch` sequences of `ws.length` tokens. `onStep(step, steps, x)` runs after each
    /// predictor step (for previews) and returns false to stop (cancellation): then nil is returned.
    /// It may also reveal masked positions of `x` itself (the engine's healed edges, chosen from the
    /// first step's pass): with the absorbing graph a revealed token is never redrawn. `constraint`
    /// limits what each position may become, from what is revealed before each step.
    public func sample(
        ws: ForwardWorkspace, options: SamplingOptions, fixed: [FixedTokens], seeds: [UInt64],
        constraint: StepConstraint? = nil, onStep: ((Int, Int, UnsafeMutablePointer<Int32>) -> Bool)? = nil
    ) -> [[Int]]? {
        let B = ws.batch, L = ws.length
        precondition(fixed.count == B && seeds.count == B, "one fixed set and one seed per batch row")
        let graph = core.graph
        let x = IntBuffer(count: B * L)
        for b in 0..<B {
            for l in 0..<L {
                x[b * L + l] = Int32(graph.limitToken(uniform: Self.uniform(seeds[b], step: -1, position: l)))
            }
        }
        func project() {
            for b in 0..<B {
                for (p, tok) in zip(fixed[b].positions, fixed[b].tokens) { x[b * L + p] = Int32(tok) }
            }
        }
        let grid = TimeGrid(steps: options.steps, eps: options.eps)
        let kind: SamplerCore.StepKind = options.predictor == .euler ? .euler : .analytic
        let temperature = Float(options.temperature)
        let xp = x.pointer
        let confident = options.unmasking == .confident && graph.isAbsorbing ? ConfidentUnmasking(batch: B, length: L) : nil
        let adjust: ((Int, UnsafeMutablePointer<Float>) -> Void)? = constraint.map { c in { c.adjust(row: $0, logScores: $1) } }
        let cache = options.contextRefresh > 1 && graph.isAbsorbing ? ws.contextCache(config: core.network.config) : nil
        if let cache {
            // Every position that is not held can change: the hole's, whether masked or revealed.
            var held = [Bool](repeating: false, count: B * L)
            for b in 0..<B { for p in fixed[b].positions { held[b * L + p] = true } }
            cache.setActiveRows((0..<(B * L)).filter { !held[$0] })
        }
        defer { cache?.pass = .off }
        /// Step n's pass (the denoiser's is n = steps) is a full one every `contextRefresh` passes.
        func choosePass(_ n: Int) { cache?.pass = n % options.contextRefresh == 0 ? .record : .reuse }
        for n in 0..<options.steps {
            choosePass(n)
            project()
            constraint?.prepare(x: xp)
            let t = [Float](repeating: grid.times[n], count: B)
            if let confident {
                let mask = Int32(graph.dim - 1)
                confident.begin(x: xp, mask: mask)
                core.visitStep(
                    kind, ws: ws, x: xp, t: t, stepSize: grid.stepSize, allPositions: false, temperature: temperature,
                    confidence: confident.confidence.pointer, adjust: adjust
                ) { r, probs, count in
                    confident.propose(row: r, probs: probs, count: count, mask: Int(mask), uniform: Self.uniform(seeds[r / L], step: n, position: r % L))
                }
                confident.reveal(into: xp) { b in Self.uniform(seeds[b], step: n, position: L) }
            } else {
                core.visitStep(
                    kind, ws: ws, x: xp, t: t, stepSize: grid.stepSize, allPositions: false, temperature: temperature,
                    adjust: adjust
                ) { r, probs, count in
                    xp[r] = Int32(Categorical.inverseCDFChunked(probs, count: count, uniform: Self.uniform(seeds[r / L], step: n, position: r % L)))
                }
            }
            if let onStep, !onStep(n + 1, options.steps, xp) { return nil }
        }
        if options.denoise {
            choosePass(options.steps)
            project()
            constraint?.prepare(x: xp)
            let t = [Float](repeating: grid.times[options.steps], count: B)
            core.visitStep(
                .denoise, ws: ws, x: xp, t: t, stepSize: grid.stepSize, allPositions: false, temperature: temperature,
                adjust: adjust
            ) { r, probs, count in
                xp[r] = Int32(Categorical.inverseCDFChunked(probs, count: count, uniform: Self.uniform(seeds[r / L], step: options.steps, position: r % L)))
            }
        }
        project()
        return (0..<B).map { b in (0..<L).map { Int(x[b * L + $0]) } }
    }

    /// The uniform for (row seed, step, position): a splitmix-style hash, so draws are independent of
    /// the order rows are visited in.
    @inline(__always)
    static func uniform(_ seed: UInt64, step: Int, position: Int) -> Double {
        SeededRandom.unitInterval(
            hashing: seed &+ UInt64(bitPattern: Int64(step &+ 1)) &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(position) &* 0xD1B5_4A32_D192_ED03)
    }
}
