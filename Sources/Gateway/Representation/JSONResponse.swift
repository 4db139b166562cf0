import Hummingbird

extension ResponseEncodable {
    /// This body as the answer, with `status` and extra headers; the request context's encoder
    /// writes the JSON.
    func answer(_ status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> EditedResponse<Self> {
        EditedResponse(status: status, headers: headers, response: self)
    }
}
