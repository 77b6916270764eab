"Architectures of our own, each registered with `models.register_arch` when its module is imported (nbs/13_vlm_models)."
