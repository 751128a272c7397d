"""An interactive explainer of Variational Autoencoders.

Modules, one concept each (the README's "The library" has a line on each):

- foundations: ``data``, ``models``, ``recipes``, ``gaussians``, ``losses``, ``backprop``,
  ``train``, ``cache``, ``numerics``, ``validation``, ``questions``, ``packing`` (a model's
  weights for the page);
- PCA to autoencoders (01): ``pca``, ``compression``;
- moons and holes (02): ``code_space``, ``code_models``;
- inside the VAE (03): ``anatomy``, ``traversals``, ``decoder_variance``,
  ``reparameterisation``;
- latent maps (04): ``map_models``, ``map_views``, ``hole_meter``, ``aggregate_posterior``,
  ``rate_distortion``, ``strokes``, ``latent_maps``, ``live_training``;
- mixtures (05): ``gmm``, ``mixture_fits``, ``latent_mixture``, ``mixture_views``,
  ``marginal_likelihood``;
- the lower bound (06): ``elbo``, ``nonlinear_posterior``, ``image_elbo``,
  ``lower_bound_views``;
- ``plots`` (pure figure builders), ``widgets`` (thin views over the library's classes),
  ``renderers`` (how a notebook shows static figures: JupyterLab's or lecture mode's),
  ``publish`` (notebooks into pages and pictures; nothing else knows about them),
  ``kernel_start`` (an import a kernel need not pay for at start, deferred here).
"""

from explainer.kernel_start import defer_iri_parser

__version__ = "0.2.0"
defer_iri_parser()
