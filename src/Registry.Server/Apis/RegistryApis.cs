namespace Registry.Server.Apis;

/// <summary>Maps every REST resource of the registry.</summary>
public static class RegistryApis
{
    public static IEndpointRouteBuilder MapRegistryApis(this IEndpointRouteBuilder app)
    {
        app.MapRootApi();
        SchemasApi.Map(app);
        SubjectsApi.Map(app);
        app.MapCompatibilityApi();
        app.MapConfigApi();
        app.MapModeApi();
        app.MapPoliciesApi();
        app.MapDekRegistryApi();
        app.MapExportersApi();
        app.MapProposalsApi();
        app.MapUsageApi();
        app.MapHealthApi();
        Ui.UiApi.MapUiApi(app);
        return app;
    }
}
