"""Problems and dispatch tickets (交办单): lifecycle, routing, proof, figures, delivery."""
