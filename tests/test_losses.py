import math

import torch
import torch.nn.functional as F

from llmpredgraph.contrastive.losses import CombinedLoss, angle_loss, cosent_loss, mnrl_loss, pairwise_angle_sim


def test_cosent_hand_computed():
    sim = torch.tensor([0.9, 0.1, 0.5])
    scores = torch.tensor([1.0, 0.0, 0.5])
    # ranked pairs (i above j): (0,1), (0,2), (2,1); terms exp(s*(sim_j - sim_i))
    s = 5.0
    expected = math.log(1 + math.exp(s * (0.1 - 0.9)) + math.exp(s * (0.5 - 0.9)) + math.exp(s * (0.1 - 0.5)))
    assert math.isclose(float(cosent_loss(sim, scores, s)), expected, rel_tol=1e-5)
    # a wrongly ordered pair costs more
    assert cosent_loss(torch.tensor([0.1, 0.9, 0.5]), scores, s) > cosent_loss(sim, scores, s)
    # ties in score contribute nothing: loss is log(1) = 0
    assert float(cosent_loss(sim, torch.ones(3), s)) == 0.0


def test_mnrl_hand_computed():
    a = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    p = torch.tensor([[1.0, 0.0], [1.0, 1.0]])
    s = 2.0
    c = 1 / math.sqrt(2)
    # row 0 logits: s*[1, c] target 0; row 1 logits: s*[0, c] target 1
    l0 = -math.log(math.exp(s) / (math.exp(s) + math.exp(s * c)))
    l1 = -math.log(math.exp(s * c) / (1 + math.exp(s * c)))
    assert math.isclose(float(mnrl_loss(a, p, s)), (l0 + l1) / 2, rel_tol=1e-5)


def test_angle_similarity_hand_computed():
    # x = 1 + 0i, y = 1 + 1i  -> x / y = (1 - i) / 2, scaled by |y|/|x| = sqrt(2)
    x = torch.tensor([[1.0, 0.0]])
    y = torch.tensor([[1.0, 1.0]])
    re, im = 0.5 * math.sqrt(2), -0.5 * math.sqrt(2)
    assert math.isclose(float(pairwise_angle_sim(x, y)), abs(re + im), abs_tol=1e-6)
    # identical vectors: quotient 1 + 0i
    assert math.isclose(float(pairwise_angle_sim(y, y)), 1.0, rel_tol=1e-6)
    sims = pairwise_angle_sim(torch.cat([y, x]), torch.cat([y, y]))
    assert math.isclose(
        float(angle_loss(torch.cat([y, x]), torch.cat([y, y]), torch.tensor([1.0, 0.0]), 2.0)),
        math.log(1 + math.exp(2 * (float(sims[1]) - float(sims[0])))),
        rel_tol=1e-5,
    )


def test_combined_loss_weights_switch_terms():
    torch.manual_seed(0)
    x, y = torch.randn(6, 4), torch.randn(6, 4)
    scores = torch.rand(6)
    pos = torch.tensor([True, True, False, True, False, False])
    only_cosent = CombinedLoss(1.0, 0.0, 0.0)(x, y, scores, pos)
    assert torch.isclose(only_cosent, cosent_loss(F.cosine_similarity(x, y), scores))
    only_mnrl = CombinedLoss(0.0, 2.0, 0.0)(x, y, scores, pos)
    assert torch.isclose(only_mnrl, 2 * mnrl_loss(x[pos], y[pos]))
    both = CombinedLoss(1.0, 2.0, 0.5)(x, y, scores, pos)
    assert torch.isclose(both, only_cosent + only_mnrl + 0.5 * angle_loss(x, y, scores))
