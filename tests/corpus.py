"""Real backprop formulas from textbooks, course notes, assignments and Q&A threads, with the verdict each
deserves under its source's convention: the checker's acceptance corpus (used by test_corpus.py).

Each row is the formula as its source writes it (LaTeX or Octave), with these exceptions, each marked
"transcribed" in its citation: a source that states the formula in NumPy code or in prose is written in the
convention's own notation, symbol for symbol; Goodfellow's running variable g is replaced by the gradient it
holds at that line; an example index on y is dropped.

``mistake`` is a substring of the diagnosis the checker must give (its names are in
derive/formula/diagnose.py: "layer index", "transpose", "sigma' argument", "extra sigma'", "missing sigma'",
"1/m" ...), or None where the verdict is all that is asserted.
"""

from __future__ import annotations

from typing import NamedTuple


class Row(NamedTuple):
    id: str
    formula: str
    convention: str
    loss: str
    output: str
    hidden: str
    verdict: str          # "holds" | "fails"
    mistake: str | None   # what the diagnosis must name, or None
    source: str


NNDL2 = "Nielsen, Neural Networks and Deep Learning, ch. 2 'How the backpropagation algorithm works'"
NNDL3 = "Nielsen, Neural Networks and Deep Learning, ch. 3 'Improving the way neural networks learn'"
PRML = "Bishop, Pattern Recognition and Machine Learning, sec. 5.3"
DLBOOK = "Goodfellow, Bengio, Courville, Deep Learning, sec. 6.5.4, algorithm 6.4"
NG = "Ng, Coursera Machine Learning, lecture 9 'Backpropagation algorithm'"
DLS_A1 = ("deeplearning.ai Deep Learning Specialization, course 1 week 4, assignment 'Building your Deep Neural "
          "Network: Step by Step', sec. 6")
DLS_221994 = ("'Exercise 6 - backward_propagation in Programming Assignment Week 3' "
              "(https://community.deeplearning.ai/t/exercise-6-backward-propagation-in-programming-assignment-week-3/"
              "221994)")
UFLDL = ("Ng et al., UFLDL tutorial, 'Backpropagation Algorithm' "
         "(http://ufldl.stanford.edu/wiki/index.php/Backpropagation_Algorithm)")
CS231N = ("Stanford CS231n notes, 'Putting it together: Minimal Neural Network Case Study' "
          "(https://cs231n.github.io/neural-networks-case-study/)")

CORPUS: list[Row] = [
    # ---------------------------------------------------------------- Nielsen: BP1-BP4 and chapter 3
    # the forward pass itself, as the chapters state it before the gradients (judged against the forward pass)
    Row("nielsen-eq25", r"a^l = \sigma(w^l a^{l-1} + b^l)",
        "nielsen", "mse", "sigmoid", "sigmoid", "holds", None, f"{NNDL2}, eq. (25)"),
    Row("nielsen-eq23-z", r"z^l_j = \sum_k w^l_{jk} a^{l-1}_k + b^l_j",
        "nielsen", "mse", "sigmoid", "sigmoid", "holds", None, f"{NNDL2}, eq. (23), the argument of sigma"),
    Row("nielsen-z", r"z^l = w^l a^{l-1} + b^l",
        "nielsen", "mse", "sigmoid", "tanh", "holds", None,
        f"{NNDL2}, the weighted input below eq. (25), written there with \\equiv; transcribed"),
    Row("dls-forward", r"Z^{[l]} = W^{[l]}A^{[l-1]} + b^{[l]}",
        "dls", "bce", "sigmoid", "relu", "holds", None, f"{DLS_A1}: linear_forward, the bias broadcast"),
    Row("dls-forward-wrong-layer", r"Z^{[l]} = W^{[l]}A^{[l]} + b^{[l]}",
        "dls", "bce", "sigmoid", "relu", "fails", "layer index",
        f"{DLS_A1}: linear_forward with A^{{[l]}}; transcribed"),
    Row("nielsen-bp1", r"\delta^L_j = \frac{\partial C}{\partial a^L_j} \sigma'(z^L_j)",
        "nielsen", "mse", "sigmoid", "sigmoid", "holds", None, f"{NNDL2}, eq. (BP1)"),
    Row("nielsen-bp1a", r"\delta^L = \nabla_a C \odot \sigma'(z^L)",
        "nielsen", "bce", "sigmoid", "tanh", "holds", None, f"{NNDL2}, eq. (BP1a)"),
    Row("nielsen-eq30", r"\delta^L = (a^L-y) \odot \sigma'(z^L)",
        "nielsen", "mse", "sigmoid", "sigmoid", "holds", None, f"{NNDL2}, eq. (30), the quadratic cost"),
    Row("nielsen-bp2", r"\delta^l = ((w^{l+1})^T \delta^{l+1}) \odot \sigma'(z^l)",
        "nielsen", "mse", "sigmoid", "sigmoid", "holds", None, f"{NNDL2}, eq. (BP2)"),
    Row("nielsen-bp3", r"\frac{\partial C}{\partial b^l_j} = \delta^l_j",
        "nielsen", "mse", "sigmoid", "sigmoid", "holds", None, f"{NNDL2}, eq. (BP3)"),
    Row("nielsen-bp4", r"\frac{\partial C}{\partial w^l_{jk}} = a^{l-1}_k \delta^l_j",
        "nielsen", "mse", "sigmoid", "sigmoid", "holds", None, f"{NNDL2}, eq. (BP4)"),
    Row("nielsen-cross-entropy", r"\delta^L = a^L-y",
        "nielsen", "bce", "sigmoid", "sigmoid", "holds", None,
        f"{NNDL3}, sec. 'The cross-entropy cost function': the output error of a many-neuron network"),
    Row("nielsen-linear-quadratic", r"\delta^L = a^L-y",
        "nielsen", "mse", "identity", "sigmoid", "holds", None,
        f"{NNDL3}, problem 'Using the quadratic cost when we have linear neurons in the output layer'"),
    Row("nielsen-softmax-bias", r"\frac{\partial C}{\partial b^L_j} = a^L_j-y_j",
        "nielsen", "cce", "softmax", "sigmoid", "holds", None,
        f"{NNDL3}, sec. 'Softmax', eq. (81) (softmax with the log-likelihood cost)"),
    Row("nielsen-softmax-weight", r"\frac{\partial C}{\partial w^L_{jk}} = a^{L-1}_k (a^L_j-y_j)",
        "nielsen", "cce", "softmax", "sigmoid", "holds", None, f"{NNDL3}, sec. 'Softmax', eq. (82)"),
    Row("hjorth-jensen-component", r"\delta^l_j = \sum_k \delta^{l+1}_k w^{l+1}_{kj} \sigma'(z^l_j)",
        "nielsen", "mse", "sigmoid", "tanh", "holds", None,
        "Hjorth-Jensen, FYS-STK4155 Applied Data Analysis and Machine Learning, week 42 notes, 'Using the chain "
        "rule and summing over all k entries' "
        "(https://compphysics.github.io/MachineLearning/doc/pub/week42/html/._week42-bs040.html)"),
    Row("so-grad-act-recursion",
        r"\frac{\partial C}{\partial a^l} = (w^{l+1})^T \left(\frac{\partial C}{\partial a^{l+1}} \odot "
        r"\sigma'(z^{l+1})\right)",
        "nielsen", "mse", "sigmoid", "sigmoid", "holds", None,
        "transcribed from the asker's line (1), tmp = delta * sigmoid_prime(A[k+1]); delta = "
        "np.dot(self.weights[k].T, tmp), where delta holds dC/da: Stack Overflow, 'Multi-layer neural network "
        "back-propagation formula (using stochastic gradient descent)' "
        "(https://stackoverflow.com/questions/53287032)"),
    # ---------------------------------------------------------------- Wikipedia
    Row("wikipedia-recursion", r"\delta^{l-1} := (f^{l-1})' \circ (W^l)^T \cdot \delta^l",
        "wikipedia", "mse", "sigmoid", "tanh", "holds", None,
        "Wikipedia, 'Backpropagation', sec. 'Matrix multiplication' (the recursion for delta)"),
    Row("wikipedia-weight-gradient", r"\nabla_{W^l} C = \delta^l (a^{l-1})^T",
        "wikipedia", "mse", "identity", "tanh", "holds", None,
        "Wikipedia, 'Backpropagation', sec. 'Matrix multiplication', as quoted in AI Stack Exchange, 'About the "
        "requirement to compute the gradient at layer l' (https://ai.stackexchange.com/questions/40727)"),
    # ---------------------------------------------------------------- UFLDL: W^(l) and b^(l) feed layer l+1
    Row("ufldl-delta-components",
        r"\delta^{(l)}_i = \left( \sum_{j=1}^{s_{l+1}} W^{(l)}_{ji} \delta^{(l+1)}_j \right) f'(z^{(l)}_i)",
        "ufldl", "mse", "sigmoid", "sigmoid", "holds", None, f"{UFLDL}, step 3 of the algorithm"),
    Row("ufldl-output-delta", r"\delta^{(L)} = -(y - a^{(L)}) \bullet f'(z^{(L)})",
        "ufldl", "mse", "sigmoid", "sigmoid", "holds", None,
        f"{UFLDL}, the vectorised step 2 (n_l written L)"),
    Row("ufldl-grad-b", r"\nabla_{b^{(l)}} J(W,b;x,y) = \delta^{(l+1)}",
        "ufldl", "mse", "sigmoid", "sigmoid", "holds", None, f"{UFLDL}, the vectorised step 4"),
    Row("ufldl-grad-b-own-layer", r"\nabla_{b^{(l)}} J(W,b;x,y) = \delta^{(l)}",
        "ufldl", "mse", "sigmoid", "sigmoid", "fails", "layer index",
        f"{UFLDL}, step 4 with the bias read as Nielsen names it (after the layer it feeds); constructed"),
    Row("ufldl-delta-nielsen-index", r"\delta^{(l)} = ((W^{(l+1)})^T \delta^{(l+1)}) \bullet f'(z^{(l)})",
        "ufldl", "mse", "sigmoid", "sigmoid", "fails", "layer index",
        f"{UFLDL}, step 3 with Nielsen's weight index carried over; constructed"),
    # ---------------------------------------------------------------- Ng, Machine Learning
    Row("ng-output-delta", r"\delta^{(L)} = a^{(L)} - y",
        "ng", "bce", "sigmoid", "sigmoid", "holds", None,
        f"{NG}, step 'Using y^(t), compute delta^(L) = a^(L) - y^(t)' (the example index t dropped)"),
    Row("ng-slide-delta3", r"\delta^{(3)} = (\Theta^{(3)})^T\delta^{(4)}.*g'(z^{(3)})",
        "ng", "bce", "sigmoid", "sigmoid", "holds", None,
        f"{NG}, slide 'Gradient computation: Backpropagation algorithm' (four-layer network); holds with the "
        "note that the bias component is dropped"),
    Row("ng-resources-a-form",
        r"\delta^{(l)} = ((\Theta^{(l)})^T \delta^{(l+1)})\ .*\ a^{(l)}\ .*\ (1 - a^{(l)})",
        "ng", "bce", "sigmoid", "sigmoid", "holds", None,
        "Ng, Coursera Machine Learning, week 5 lecture notes (Resources), as quoted in Cross Validated, 'XOR "
        "Neural Network, problem finding shapes of delta for backpropagation algorithm' "
        "(https://stats.stackexchange.com/questions/403921); the bias component is dropped"),
    Row("ng-ex4-octave", r"delta_2 = (Theta2' * delta_3) .* sigmoidGradient(z2)",
        "ng", "bce", "sigmoid", "sigmoid", "holds", None,
        "Ng ML ex4 solution on GitHub, anormang1992/machinelearningcourse, machine-learning-ex4/ex4/"
        "nnCostFunction.m (the backpropagation loop): Octave's * is the matrix product; the source prepends "
        "the bias to z2 first and drops the bias row next, delta_2 = delta_2(2:end), as ex4 instructs"),
    Row("ng-slide-accumulate", r"\Delta^{(l)}_{ij} := \Delta^{(l)}_{ij} + a^{(l)}_j \delta^{(l+1)}_i",
        "ng", "bce", "sigmoid", "sigmoid", "holds", None,
        f"{NG}, slide 'Backpropagation algorithm': the accumulation over the training set, read as the sum over "
        "the examples of each one's term"),
    Row("ng-ex4-accumulate", r"\Delta^{(l)} = \Delta^{(l)} + \delta^{(l+1)}(a^{(l)})^T",
        "ng", "bce", "sigmoid", "sigmoid", "holds", None,
        "Ng, Coursera Machine Learning, programming exercise 4 (ex4.pdf), sec. 2.3 step 4, 'Accumulate the "
        "gradient from this example' (written with =, as the handout does)"),
    Row("ng-ex4-unregularised", r"D^{(l)}_{ij} = \frac{1}{m}\Delta^{(l)}_{ij}",
        "ng", "bce", "sigmoid", "sigmoid", "holds", None,
        "Ng, Coursera Machine Learning, programming exercise 4 (ex4.pdf), sec. 2.3 step 5 (the unregularized "
        "gradient, dividing the accumulated gradients by m)"),
    Row("ng-accumulate-outer-product-reversed", r"\Delta^{(l)} := \Delta^{(l)} + a^{(l)} (\delta^{(l+1)})^T",
        "ng", "bce", "sigmoid", "sigmoid", "fails", "transpose",
        f"{NG}'s accumulation with the outer product's factors in the other order; constructed"),
    # ---------------------------------------------------------------- Goodfellow, algorithm 6.4
    Row("goodfellow-pre-activation", r"\nabla_{a^{(k)}} J = \nabla_{h^{(k)}} J \odot f'(a^{(k)})",
        "goodfellow", "bce", "sigmoid", "tanh", "holds", None,
        f"{DLBOOK}, line 'g <- grad_a(k) J = g (.) f'(a^(k))' (transcribed: g is grad_h(k) J there)"),
    Row("goodfellow-weight", r"\nabla_{W^{(k)}} J = \nabla_{a^{(k)}} J \; h^{(k-1)\top}",
        "goodfellow", "bce", "sigmoid", "tanh", "holds", None,
        f"{DLBOOK}, line 'grad_W(k) J = g h^(k-1)T + lambda grad_W(k) Omega' (transcribed: g is grad_a(k) J, "
        "lambda = 0)"),
    Row("goodfellow-bias", r"\nabla_{b^{(k)}} J = \nabla_{a^{(k)}} J",
        "goodfellow", "cce", "softmax", "relu", "holds", None,
        f"{DLBOOK}, line 'grad_b(k) J = g + lambda grad_b(k) Omega' (transcribed: g is grad_a(k) J, lambda = 0)"),
    Row("goodfellow-propagate", r"\nabla_{h^{(k-1)}} J = W^{(k)\top} \; \nabla_{a^{(k)}} J",
        "goodfellow", "cce", "softmax", "tanh", "holds", None,
        f"{DLBOOK}, line 'g <- grad_h(k-1) J = W^(k)T g' (transcribed: g is grad_a(k) J)"),
    # ---------------------------------------------------------------- Bishop, PRML 5.3
    Row("bishop-5.54", r"\delta_k = y_k - t_k",
        "bishop", "mse", "identity", "tanh", "holds", None, f"{PRML}.1, eq. (5.54)"),
    Row("bishop-5.56", r"\delta_j = h'(a_j) \sum_k w_{kj} \delta_k",
        "bishop", "mse", "identity", "tanh", "holds", None, f"{PRML}.1, eq. (5.56)"),
    Row("bishop-5.53", r"\frac{\partial E_n}{\partial w_{ji}} = \delta_j z_i",
        "bishop", "mse", "identity", "tanh", "holds", None, f"{PRML}.1, eq. (5.53)"),
    Row("bishop-5.66", r"\delta_j = (1 - z_j^2) \sum_{k=1}^{K} w_{kj} \delta_k",
        "bishop", "mse", "identity", "tanh", "holds", None,
        f"{PRML}.2 'A simple example', eq. (5.66): tanh hidden units, linear outputs, sum-of-squares error"),
    # ---------------------------------------------------------------- CS231n, row-major batches
    Row("cs231n-dscores", r"dZ^{(L)} = \frac{1}{N} (P - Y)",
        "cs231n", "cce", "softmax", "relu", "holds", None,
        f"{CS231N}, transcribed from dscores = probs; dscores[range(num_examples),y] -= 1; "
        "dscores /= num_examples"),
    Row("cs231n-dW", r"dW^{(l)} = A^{(l-1)T} dZ^{(l)}",
        "cs231n", "cce", "softmax", "relu", "holds", None,
        f"{CS231N}, transcribed from dW2 = np.dot(hidden_layer.T, dscores)"),
    Row("cs231n-dhidden", r"dA^{(l-1)} = dZ^{(l)} W^{(l)T}",
        "cs231n", "cce", "softmax", "relu", "holds", None,
        f"{CS231N}, transcribed from dhidden = np.dot(dscores, W2.T)"),
    # ---------------------------------------------------------------- deeplearning.ai
    Row("dls-dZL", r"dZ^{[L]} = A^{[L]} - Y",
        "dls", "bce", "sigmoid", "relu", "holds", None,
        "deeplearning.ai DLS course 1 weeks 3-4, lecture 'Gradient descent for neural networks', as quoted in "
        "'Exercise 6 - backward_propagation in Programming Assignment Week 3' "
        "(https://community.deeplearning.ai/t/exercise-6-backward-propagation-in-programming-assignment-week-3/221994)"),
    Row("dls-eq8", r"dW^{[l]} = \frac{1}{m} dZ^{[l]} A^{[l-1] T}",
        "dls", "bce", "sigmoid", "relu", "holds", None, f"{DLS_A1}, eq. (8)"),
    Row("dls-eq9", r"db^{[l]} = \frac{1}{m} \sum_{i = 1}^{m} dZ^{[l](i)}",
        "dls", "bce", "sigmoid", "relu", "holds", None, f"{DLS_A1}, eq. (9)"),
    Row("dls-eq10", r"dA^{[l-1]} = W^{[l] T} dZ^{[l]}",
        "dls", "bce", "sigmoid", "relu", "holds", None, f"{DLS_A1}, eq. (10)"),
    Row("dls-eq11", r"dZ^{[l]} = dA^{[l]} * g'(Z^{[l]})",
        "dls", "bce", "sigmoid", "tanh", "holds", None, f"{DLS_A1}, eq. (11)"),
    Row("dls-planar-dZ1", r"dZ^{[1]} = W^{[2]T} dZ^{[2]} * g^{[1]\prime}(Z^{[1]})",
        "dls", "bce", "sigmoid", "tanh", "holds", None,
        "deeplearning.ai DLS course 1 week 3, planar data assignment, exercise 6 (backward_propagation), as "
        "described in 'Week 3 Exercise 6 backward propagation' "
        "(https://community.deeplearning.ai/t/week-3-exercise-6-backward-propagation/71024)"),

    # ================================================================ mistakes people made
    Row("off-by-one-weight-layer", r"\delta^l = ((w^l)^T \delta^{l+1}) \odot \sigma'(z^l)",
        "nielsen", "mse", "sigmoid", "sigmoid", "fails", "layer index",
        "transcribed from the first article's rule quoted in AI Stack Exchange, 'Why in one article to calcule "
        "the delta uses the weights of current layer ...' ('the delta of the current layer is equal to the "
        "delta from the previous layer dotted with the weight matrix of the current layer') "
        "(https://ai.stackexchange.com/questions/42884)"),
    Row("dls-wrong-weight-layer", r"dA^{[l]} = W^{[l] T} dZ^{[l]}",
        "dls", "bce", "sigmoid", "relu", "fails", "layer index",
        f"{DLS_A1}, older versions: 'The three outputs (dW^[l], db^[l], dA^[l]) are computed using the input "
        "dZ^[l]' with eq. (10), and the output layer's result stored as grads['dAL']; later versions say "
        "dA^[l-1]"),
    Row("octave-sigmoid-gradient-of-a", r"delta_2 = (Theta2' * delta_3) .* sigmoidGradient(a_2)",
        "ng", "bce", "sigmoid", "sigmoid", "fails", "sigma' argument",
        "a student's Ng ML ex4 nnCostFunction.m published on GitHub, the block headed '% Jackie Part2 code:' "
        "(found through a code search; repository not recorded): the sigmoid's gradient taken at the "
        "activation a_2 instead of z_2"),
    Row("extra-sigma-prime-bce-nielsen", r"\delta^L = (a^L-y) \odot \sigma'(z^L)",
        "nielsen", "bce", "sigmoid", "sigmoid", "fails", "extra sigma'",
        "Data Science Stack Exchange, 'Do we need to add the sigmoid derivative term in the final layer's error "
        "value?' (https://datascience.stackexchange.com/questions/41212): the video's delta(L) = (a(L) - y) * "
        "f'(z(L)) used with the cross-entropy cost, transcribed to Nielsen's notation"),
    Row("extra-sigma-prime-bce-ng", r"\delta^{(L)} = (a^{(L)} - y) .* g'(z^{(L)})",
        "ng", "bce", "sigmoid", "sigmoid", "fails", "extra sigma'",
        "Data Science Stack Exchange, 'Do we need to add the sigmoid derivative term in the final layer's error "
        "value?' (https://datascience.stackexchange.com/questions/41212): the asker's delta(L) = (a(L) - y) * "
        "f'(z(L)) in Ng's week 5 assignment, transcribed to Ng's notation"),
    Row("mse-sigmoid-claimed-canonical", r"\delta^L = a^L-y",
        "nielsen", "mse", "sigmoid", "sigmoid", "fails", "missing sigma'",
        "Stack Overflow, 'Back propagation error function' (https://stackoverflow.com/questions/11627773): the "
        "asker proposes dropping Output(i) * (1 - Output(i)) from the sigmoid unit's error under the squared "
        "error, transcribed to Nielsen's notation"),
    Row("grad-act-missing-sigma-prime",
        r"\frac{\partial C}{\partial a^l} = (w^{l+1})^T \frac{\partial C}{\partial a^{l+1}}",
        "nielsen", "mse", "sigmoid", "sigmoid", "fails", "missing sigma'",
        "transcribed from the asker's line (2), delta = np.dot(self.weights[k].T, delta), where delta holds "
        "dC/da: Stack Overflow, 'Multi-layer neural network back-propagation formula (using stochastic "
        "gradient descent)' (https://stackoverflow.com/questions/53287032)"),
    Row("dls-dW-missing-1-over-m", r"dW^{[2]} = dZ^{[2]} A^{[1]T}",
        "dls", "bce", "sigmoid", "tanh", "fails", "1/m",
        f"{DLS_221994}: the asker's dW2 = dZ2 A1.T (consistent only if dZ2 carries the 1/m, which the "
        "course's dZ does not)"),
    Row("dls-dZ-extra-1-over-m", r"dZ^{[2]} = \frac{1}{m} (A^{[2]} - Y)",
        "dls", "bce", "sigmoid", "tanh", "fails", "1/m",
        f"{DLS_221994}: the asker's dZ2 = (1/m) (A2 - Y), against the course's per-example dZ"),
    Row("dls-dZ1-doubled-1-over-m", r"dZ^{[1]} = \frac{1}{m} W^{[2]T} dZ^{[2]} * g^{[1]\prime}(Z^{[1]})",
        "dls", "bce", "sigmoid", "tanh", "fails", "1/m",
        "transcribed from 'Course 1 Week 3 planar assignment 4.5 exercise 6 backward propagation error for dW1 "
        "values' (https://community.deeplearning.ai/t/course-1-week-3-planar-assignment-4-5-exercise-6-backward-"
        "propagation-error-for-dw1-values/63071): dZ1 multiplied by 1/m, then dW1 = (1/m) dZ1 X.T again"),
    Row("dls-slide-missing-transpose", r"dw^{[l]} = dz^{[l]} \cdot a^{[l-1]}",
        "dls", "bce", "sigmoid", "relu", "fails", "transpose",
        "deeplearning.ai DLS course 1 week 4, lecture 'Forward and backward propagation' (per-example slide), "
        "as copied in the notes https://lonewolfc7.top/2026/02/12/DNN, eq. (4): the transpose on a^[l-1] "
        "missing"),
    Row("dls-notes-reversed-product", r"da^{[l-1]} = dz^{[l]} \cdot W^{[l] T}",
        "dls", "bce", "sigmoid", "relu", "fails", None,
        "DLS course 1 week 4 notes https://lonewolfc7.top/2026/02/12/DNN, eq. (6): the product written in the "
        "wrong order (the lecture has W^[l]T dz^[l])"),
    Row("dls-dW-activation-of-wrong-layer", r"dW^{[l]} = \frac{1}{m} dZ^{[l]} A^{[l]T}",
        "dls", "bce", "sigmoid", "sigmoid", "fails", "layer index",
        "Data Science Stack Exchange, 'Why can it be that my neural network is predicting the contrary?' "
        "(https://datascience.stackexchange.com/questions/25394): dw = 1./m * dz.dot(activations[d].T), "
        "answered with activations[d-1]; transcribed"),
    Row("dls-dW-elementwise", r"dW^{[2]} = \frac{1}{m} dZ^{[2]} * A^{[1]T}",
        "dls", "bce", "sigmoid", "tanh", "fails", "matrix product",
        "'Course 1 Week 3 A1 Exercise 6 dW2 operands could not be broadcast' "
        "(https://community.deeplearning.ai/t/course-1-week-3-a1-excercise-6-dw2-operands-could-not-be-broadcast/"
        "152009): "
        "dW2 = (1/m) * dZ2 * A1.T, an elementwise product where the matrix product belongs; transcribed"),
    Row("dls-dZ1-matrix-product-for-elementwise", r"dZ^{[1]} = W^{[2]T} dZ^{[2]} g^{[1]\prime}(Z^{[1]})",
        "dls", "bce", "sigmoid", "tanh", "fails", None,
        "'Graded function backward propagation' (https://community.deeplearning.ai/t/graded-function-backward-"
        "propagation/110003): 'you used dot product for both'; transcribed"),
    Row("dls-dA-elementwise", r"dA^{[l-1]} = dZ^{[l]} * W^{[l]T}",
        "dls", "bce", "sigmoid", "relu", "fails", "matrix product",
        "'Exercise 7 - linear_backward' (https://community.deeplearning.ai/t/exercise-7-linear-backward/241052): "
        "dA_prev = np.multiply(dZ, W.T); transcribed"),
    Row("dls-dZ1-gradient-for-weight", r"dZ^{[1]} = dW^{[2]T} dZ^{[2]} * g^{[1]\prime}(Z^{[1]})",
        "dls", "bce", "sigmoid", "tanh", "fails", "gradient for weight",
        "'W3 Ex 6 AssertionError: Wrong values for dW1' "
        "(https://community.deeplearning.ai/t/w3-ex-6-assertionerror-wrong-values-for-dw1/402919): "
        "'Check the formula of dZ1 again. W2 or dW2?'; transcribed"),
    Row("cs231n-missing-1-over-N", r"dZ^{(L)} = P - Y",
        "cs231n", "cce", "softmax", "relu", "fails", "1/m",
        "Stack Overflow, 'Scaling of backpropagation' (https://stackoverflow.com/questions/41653482): "
        "delta3 = probs; delta3[range(num_examples), y] -= 1 with the loss averaged over the examples but the "
        "gradient not divided by num_examples; transcribed"),
]
