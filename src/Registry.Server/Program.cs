using Registry.Server.Hosting;

var app = RegistryApp.Build(args);
await app.RunAsync();
