#include <torch/extension.h>

void roi_inlay_forward(at::Tensor roi_feats, at::Tensor rois, at::Tensor output,
                       double spatial_scale, bool aligned);
void roi_inlay_backward(at::Tensor grad_output, at::Tensor rois,
                        at::Tensor grad_roi_feats, double spatial_scale,
                        bool aligned);

PYBIND11_MODULE(TORCH_EXTENSION_NAME, m) {
  m.def("roi_inlay_forward", &roi_inlay_forward,
        "RoIInlay forward: writes (B, C, H, W) output from (K, C, mh, mw) "
        "roi_feats",
        py::arg("roi_feats"), py::arg("rois"), py::arg("output"),
        py::arg("spatial_scale"), py::arg("aligned"));
  m.def("roi_inlay_backward", &roi_inlay_backward,
        "RoIInlay backward: writes the (K, C, mh, mw) gradient of roi_feats",
        py::arg("grad_output"), py::arg("rois"), py::arg("grad_roi_feats"),
        py::arg("spatial_scale"), py::arg("aligned"));
}
