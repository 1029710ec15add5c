import SEDDKernels
import SEDDModel

/// The score-entropy loss of one batch and its gradient with respect to every parameter, over
/// buffers allocated once for a (batch, length) shape.
///
/// The caller supplies the clean batch x0, the perturbed batch x_t and the noise levels; drawing
/// them is the trainer's job (`NoisedBatch`), so fixtures can inject the reference's own draws.
public final class LossGradient {
    public let network: SEDDNetwork
    public let graph: any DiffusionGraph
    public let batch: Int
    public let length: Int
    /// d mean(loss) / d parameter after `compute` (same table as the network's parameters).
    public let gradients: ParameterStore
    public let forwardWorkspace: ForwardWorkspace
    public let backwardWorkspace: BackwardWorkspace
    /// The clean batch x0 [B, L] of the last call.
    public let cleanTokens: IntBuffer

    public init(network: SEDDNetwork, batch B: Int, length L: Int) {
        self.network = network
        graph = makeGraph(network.config)
        batch = B
        length = L
        gradients = ParameterStore(table: network.parameters.table)
        forwardWorkspace = ForwardWorkspace(config: network.config, batch: B, length: L, training: true)
        backwardWorkspace = BackwardWorkspace(config: network.config, batch: B, length: L)
        cleanTokens = IntBuffer(count: B * L)
    }

    /// Loss and gradient: zeroes `gradients`, runs the forward pass (with dropout when `dropout` is
    /// given, as the reference's train mode), the loss and the backward pass. Returns loss_b [B]; the
    /// gradient is that of their mean.
    public func compute(
        x0: [Int], xt: [Int], sigma: [Float], dsigma: [Float],
        dropout: (p: Float, rng: UnsafeMutablePointer<SeededRandom>)? = nil
    ) -> [Double] {
        load(x0: x0, xt: xt, sigma: sigma)
        gradients.buffer.zero()
        network.forward(forwardWorkspace, dropout: dropout)
        let losses = ScoreEntropyLoss.lossesAndGradient(
            graph: graph, ws: forwardWorkspace, x0: cleanTokens.pointer, sigma: sigma, dsigma: dsigma)
        network.backward(forwardWorkspace, backwardWorkspace, gradients: gradients)
        return losses
    }

    /// The loss alone (no gradient), in eval mode unless `dropout` is given.
    public func loss(
        x0: [Int], xt: [Int], sigma: [Float], dsigma: [Float],
        dropout: (p: Float, rng: UnsafeMutablePointer<SeededRandom>)? = nil
    ) -> [Double] {
        load(x0: x0, xt: xt, sigma: sigma)
        network.forward(forwardWorkspace, dropout: dropout)
        return ScoreEntropyLoss.losses(
            graph: graph, ws: forwardWorkspace, x0: cleanTokens.pointer, sigma: sigma, dsigma: dsigma)
    }

    private func load(x0: [Int], xt: [Int], sigma: [Float]) {
        let n = batch * length
        precondition(x0.count == n && xt.count == n && sigma.count == batch, "batch does not match the workspace shape")
        for i in 0..<n {
            cleanTokens[i] = Int32(x0[i])
            forwardWorkspace.ids[i] = Int32(xt[i])
        }
        for b in 0..<batch { forwardWorkspace.sigma[b] = sigma[b] }
    }
}
