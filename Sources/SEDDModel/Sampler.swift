import SEDDKernels

/// The reference's predictors (spec section 6.2), one step at a time.
public enum Predictor: String, Sendable, CaseIterable {
    case euler
    case analytic
}

/// Per-step probability rows of the reference's samplers, computed from a forward pass.
///
/// The network is run once per step into `ws`; then each position that can change gets its
/// probability row (the tensor the reference hands to `sample_categorical`). With the absorbing
/// graph only masked positions can change, so only they get the output head and a row.
public final class SamplerCore {
    public let network: SEDDNetwork
    public let graph: any DiffusionGraph
    public let noise: NoiseSchedule
    private let rowScratch: FloatBuffer  // [threads, 2, dim]
    /// Forward passes run so far (a step with no position left to change runs none).
    public private(set) var forwardPasses = 0

    public init(network: SEDDNetwork) {
        self.network = network
        graph = makeGraph(network.config)
        noise = NoiseSchedule(config: network.config)
        rowScratch = FloatBuffer(count: max(Parallel.threadCount, 1) * 2 * graph.dim)
    }

    /// What one predictor (or the denoiser) step needs for batch row b: the sigma the network sees
    /// and the step's dsigma and Euler factor.
    struct StepScalars {
        var sigma: Float
        var dsigma: Float
        var eulerScale: Float
    }

    func scalars(_ kind: StepKind, t: Float, stepSize: Double) -> StepScalars {
        switch kind {
        case .euler:
            let s = noise.total(t), ds = noise.rate(t)
            return StepScalars(sigma: s, dsigma: ds, eulerScale: Float(stepSize) * ds)
        case .analytic:
            let s = noise.total(t)
            let next = noise.total(t - Float(stepSize))
            return StepScalars(sigma: s, dsigma: s - next, eulerScale: 0)
        case .denoise:
            let s = noise.total(t)
            return StepScalars(sigma: s, dsigma: s, eulerScale: 0)
        }
    }

    enum StepKind { case euler, analytic, denoise }

    /// Runs the network on `x` [B, L] at per-row times `t` and calls `row(position, probs, count)` for
    /// every position that can change (all positions when `allPositions`), with the probability row
    /// of the step, tempered by `temperature` (`StepTemperature`; 1 is the reference's row). Rows are
    /// visited in parallel; `row` must only touch its own position. With `confidence` ([B * L]) each
    /// visited position's confidence is written there first: the untempered share of its likeliest
    /// destination among all it can move to. `adjust(r, logScores)` may change position r's
    /// log-scores before its row is computed (a `StepConstraint`; minus infinity forbids an id, which
    /// the exp kernels clamp to a share below 1e-37); it runs in parallel, one position per call.
    func visitStep(
        _ kind: StepKind, ws: ForwardWorkspace, x: UnsafePointer<Int32>, t: [Float], stepSize: Double,
        allPositions: Bool, temperature: Float = 1, confidence: UnsafeMutablePointer<Float>? = nil,
        adjust: ((Int, UnsafeMutablePointer<Float>) -> Void)? = nil,
        row: (Int, UnsafePointer<Float>, Int) -> Void
    ) {
        let B = ws.batch, L = ws.length, V = graph.dim
        let steps = (0..<B).map { scalars(kind, t: t[$0], stepSize: stepSize) }
        for b in 0..<B { ws.sigma[b] = steps[b].sigma }
        ws.ids.pointer.update(from: x, count: B * L)
        var rows: [Int]? = nil
        if graph.isAbsorbing && !allPositions {
            let mask = Int32(V - 1)
            rows = (0..<(B * L)).filter { x[$0] == mask }
            if rows!.isEmpty { return }
        }
        ws.setHeadRows(rows)
        network.forward(ws)
        forwardPasses += 1
        let count = ws.headRowCount
        let logits = ws.logits.pointer, headRows = ws.headRows.pointer, scratch = rowScratch.pointer
        let graph = self.graph
        // Masked rows of the absorbing graph take the fused one-pass row (the general path below is
        // its oracle, and still serves every other row).
        let absorbing = graph as? AbsorbingGraph
        Parallel.forChunks(count, grain: 1) { chunk, range in
            let score = scratch + chunk * 2 * V
            let probs = score + V
            for i in range {
                let r = Int(headRows[i])
                let st = steps[r / L]
                let xi = Int(x[r])
                let logRow = logits + i * V
                adjust?(r, logRow)
                if kind != .euler, let absorbing, xi == absorbing.mask {
                    if temperature == 1 && confidence == nil {
                        // The reference's row: no tempering, no confidence asked for (a pass less).
                        absorbing.maskedStepProbabilities(logRow, dsigma: st.dsigma, into: probs)
                    } else {
                        let sure = absorbing.maskedStepProbabilities(logRow, dsigma: st.dsigma, temperature: temperature, into: probs)
                        confidence?[r] = sure
                    }
                    row(r, probs, kind == .denoise ? V - 1 : V)
                    continue
                }
                FastMath.exp(logRow, into: score, count: V)
                switch kind {
                case .euler:
                    graph.reverseRate(xi, score: score, into: probs)
                    for j in 0..<V { probs[j] *= st.eulerScale }
                    probs[xi] += 1
                    confidence?[r] = StepTemperature.confidence(probs, count: V, current: xi)
                    StepTemperature.apply(probs, count: V, current: xi, temperature: temperature)
                    row(r, probs, V)
                case .analytic, .denoise:
                    graph.staggeredScore(score, dsigma: st.dsigma, into: probs)
                    graph.transpTransition(xi, sigma: st.dsigma, into: score)
                    for j in 0..<V { probs[j] *= score[j] }
                    // The denoiser drops the absorbing graph's mask column: no mask survives.
                    let count = kind == .denoise && graph.isAbsorbing ? V - 1 : V
                    confidence?[r] = StepTemperature.confidence(probs, count: count, current: xi)
                    StepTemperature.apply(probs, count: count, current: xi, temperature: temperature)
                    row(r, probs, count)
                }
            }
        }
    }
}

#if canImport(Glibc)
    import Glibc
#endif
