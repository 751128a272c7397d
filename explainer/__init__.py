"""An interactive explainer of Variational Autoencoders.

Modules, one concept each:

- ``data``: real MNIST (offline), sklearn's 8x8 digits, a procedural moon renderer.
- ``models``: the AE / noisy AE / VAE / linear AE family.
- ``losses``: reconstruction terms, the Gaussian KL, the ELBO's terms.
- ``train``: one fast, deterministic ``fit`` for the whole family.
- ``anatomy``: inside the VAE: one digit's m, s, e and c; Minimize2; the KL weight.
- ``cache``: trained models kept on disk so a lecture never waits twice.
- ``code_space``: the full moon, the half moon and the holes in a 1-D code space.
- ``pca``: PCA by SVD, reconstruction error against k, principal angles.
- ``gmm``: Gaussian mixtures, fitted mixtures and the continuous-latent (infinite) mixture.
- ``questions``: predict, then reveal: the folded, computed answers to the notebooks' questions.
- ``plots`` / ``widgets``: pure figure builders; thin widget classes that drive them.
"""

__version__ = "0.2.0"
