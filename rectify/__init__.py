"""Rectify (督察整改调度平台): rectification of ecological-environment inspection findings."""
